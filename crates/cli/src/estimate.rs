//! `agentstat extract --classifier anthropic|openai --estimate`: the calls, tokens and price of
//! labelling these sessions with an LLM backend, computed locally (nothing is sent; no key is
//! needed). The accounting is `agentstat_classify::llm::estimate`.

use crate::cmd::extract::{Args, Classifier};
use crate::pipeline;
use agentstat_classify::llm::{self, estimate as est};
use std::process::ExitCode;

pub fn run(args: &Args) -> crate::cmd::CmdResult {
    let provider =
        match args.classifier {
            Classifier::Anthropic => est::Provider::Anthropic,
            Classifier::Openai => est::Provider::OpenAi,
            _ => return Err(
                "--estimate prices an LLM backend: combine it with --classifier anthropic|openai"
                    .into(),
            ),
        };
    if args.batch && provider == est::Provider::OpenAi {
        return Err("--batch uses the Anthropic Message Batches API: combine it with --classifier anthropic".into());
    }
    let model = args.model.clone().unwrap_or_else(|| match provider {
        est::Provider::Anthropic => llm::DEFAULT_ANTHROPIC_MODEL.into(),
        est::Provider::OpenAi => llm::DEFAULT_OPENAI_MODEL.into(),
    });
    let mut prices = match est::default_prices(provider, &model) {
        Some(p) => p,
        None if args.price_input.is_some() && args.price_output.is_some() => est::Prices {
            model: model.clone(),
            input: 0.0,
            output: 0.0,
            cache_write: f64::NAN,
            cache_read: f64::NAN,
            batch_factor: 0.5,
            dated: "given on the command line".into(),
        },
        None => {
            return Err(format!(
                "no default price for model {model:?}: give --price-input and --price-output (dollars per million tokens)"
            )
            .into())
        }
    };
    let overridden = args.price_input.is_some()
        || args.price_output.is_some()
        || args.price_cache_write.is_some()
        || args.price_cache_read.is_some();
    if let Some(p) = args.price_input {
        prices.input = p;
    }
    if let Some(p) = args.price_output {
        prices.output = p;
    }
    // Unless given, cache prices follow the provider's rule from the input price.
    let (w, r) = match provider {
        est::Provider::Anthropic => (1.25, 0.1),
        est::Provider::OpenAi => (1.0, if model.contains("4o") { 0.5 } else { 0.25 }),
    };
    prices.cache_write = args.price_cache_write.unwrap_or(
        if args.price_input.is_some() || prices.cache_write.is_nan() {
            prices.input * w
        } else {
            prices.cache_write
        },
    );
    prices.cache_read = args.price_cache_read.unwrap_or(
        if args.price_input.is_some() || prices.cache_read.is_nan() {
            prices.input * r
        } else {
            prices.cache_read
        },
    );
    for (name, v) in [
        ("input", prices.input),
        ("output", prices.output),
        ("cache write", prices.cache_write),
        ("cache read", prices.cache_read),
    ] {
        if !(v.is_finite() && v >= 0.0) {
            return Err(format!(
                "the {name} price must be a non-negative number of dollars per million tokens"
            )
            .into());
        }
    }
    if overridden {
        prices.dated = format!("{} (with prices given on the command line)", prices.dated);
    }

    let opts = pipeline::options(&args.paths, args.user.clone())?;
    let mut diag = agentstat_ingest::Diagnostics::default();
    let sources = pipeline::discover(&args.paths, &mut diag);
    let (parts, d) = pipeline::map_sessions(&sources, &opts, |s, _| {
        let mut e = est::Estimate::default();
        if s.non_interactive_reason().is_none() {
            e.add_session(s, &model, provider);
        }
        e
    });
    diag.merge(d);
    let mut total = est::Estimate::default();
    for e in parts {
        total.sessions += e.sessions;
        total.calls += e.calls;
        total.input_tokens += e.input_tokens;
        total.cache_write_tokens += e.cache_write_tokens;
        total.cache_read_tokens += e.cache_read_tokens;
        total.output_tokens += e.output_tokens;
    }
    let usd = total.usd(&prices, args.batch);
    pipeline::print_diagnostics(&diag, 20);
    if args.json {
        let v = serde_json::json!({
            "estimate": total,
            "prices_per_million_tokens": prices,
            "batch": args.batch,
            "usd": usd,
            "usd_per_session": if total.sessions > 0 { usd / total.sessions as f64 } else { 0.0 },
            "chars_per_token": est::CHARS_PER_TOKEN,
        });
        println!("{v}");
    } else {
        println!(
            "{} interactive sessions → {} calls to {} ({}), nothing sent",
            total.sessions,
            total.calls,
            prices.model,
            if args.batch {
                "Message Batches, half price"
            } else {
                "one request per call"
            }
        );
        println!(
            "input tokens: {} plain, {} cache writes, {} cache reads; output tokens: {} (estimated at {} characters per token, typical answer lengths)",
            total.input_tokens, total.cache_write_tokens, total.cache_read_tokens, total.output_tokens, est::CHARS_PER_TOKEN
        );
        println!(
            "price: ${usd:.2} (${:.4} per session) at ${}/${} per million input/output tokens, cache write ${:.3}, cache read ${:.3}; prices dated {}",
            if total.sessions > 0 { usd / total.sessions as f64 } else { 0.0 },
            prices.input,
            prices.output,
            prices.cache_write,
            prices.cache_read,
            prices.dated
        );
        println!("answers already in the LLM cache would not be paid again; this estimate counts every session");
    }
    Ok(if total.sessions > 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}
