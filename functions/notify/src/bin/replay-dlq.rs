//! Moves messages from a dead-letter queue back to the queue they came from,
//! once whatever made them fail is fixed.
//!
//!   replay-dlq --from <dlq-url> --to <queue-url> [--max N] [--dry-run]
//!
//! Each message is sent to the source queue before it is deleted from the
//! DLQ, so a crash can duplicate a message (consumers dedupe on eventId)
//! but never lose one.

use aws_sdk_sqs::types::MessageSystemAttributeName;
use shared::adapters::aws;

struct Args {
    from: String,
    to: String,
    max: usize,
    dry_run: bool,
}

fn parse_args() -> Result<Args, String> {
    let mut from = None;
    let mut to = None;
    let mut max = usize::MAX;
    let mut dry_run = false;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--from" => from = args.next(),
            "--to" => to = args.next(),
            "--max" => {
                max = args
                    .next()
                    .and_then(|n| n.parse().ok())
                    .ok_or("--max takes a number")?
            }
            "--dry-run" => dry_run = true,
            "-h" | "--help" => return Err(String::new()),
            other => return Err(format!("unknown argument {other}")),
        }
    }
    Ok(Args {
        from: from.ok_or("--from <dlq-url> is required")?,
        to: to.ok_or("--to <queue-url> is required")?,
        max,
        dry_run,
    })
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = match parse_args() {
        Ok(args) => args,
        Err(message) => {
            if !message.is_empty() {
                eprintln!("replay-dlq: {message}");
            }
            eprintln!("usage: replay-dlq --from <dlq-url> --to <queue-url> [--max N] [--dry-run]");
            std::process::exit(2);
        }
    };
    let config = aws::load_config().await;
    let sqs = aws_sdk_sqs::Client::new(&config);
    let mut moved = 0;
    while moved < args.max {
        let batch = sqs
            .receive_message()
            .queue_url(&args.from)
            // At most 10 per call, and never more than are still wanted.
            .max_number_of_messages((args.max - moved).min(10) as i32)
            .wait_time_seconds(1)
            .message_system_attribute_names(MessageSystemAttributeName::ApproximateReceiveCount)
            .send()
            .await?;
        let messages = batch.messages.unwrap_or_default();
        if messages.is_empty() {
            break;
        }
        for message in messages {
            let id = message.message_id().unwrap_or_default();
            if args.dry_run {
                println!("would replay {id}: {}", message.body().unwrap_or_default());
                continue;
            }
            sqs.send_message()
                .queue_url(&args.to)
                .message_body(message.body().unwrap_or_default())
                .send()
                .await?;
            if let Some(receipt) = message.receipt_handle() {
                sqs.delete_message()
                    .queue_url(&args.from)
                    .receipt_handle(receipt)
                    .send()
                    .await?;
            }
            println!("replayed {id}");
            moved += 1;
        }
        if args.dry_run {
            break;
        }
    }
    println!("{moved} message(s) moved from the dead-letter queue");
    Ok(())
}
