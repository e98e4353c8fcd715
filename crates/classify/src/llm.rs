//! LLM backends: Anthropic Messages, Anthropic Message Batches, OpenAI-compatible chat completions.
