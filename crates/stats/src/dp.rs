//! Optional differential privacy for counts, shares and means.
