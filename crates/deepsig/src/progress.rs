//! Training progress on stderr: a bar that fills epoch by epoch on a terminal, plain lines
//! otherwise (a log file, a Slurm job's output), the same epoch lines in both.

use std::io::IsTerminal;

use deepsig_model::TrainObserver;
use deepsig_model::report::EpochRecord;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// Reports each epoch of each seed: one line per epoch (and each data warning), and on a
/// terminal a bar under them with the epochs done, the latest losses and the time left.
pub(crate) struct EpochProgress {
    bar: Option<ProgressBar>,
    terminal: bool,
}

impl EpochProgress {
    /// A bar on a terminal stderr, plain lines elsewhere.
    pub(crate) fn new() -> EpochProgress {
        EpochProgress { bar: None, terminal: std::io::stderr().is_terminal() }
    }

    fn line(&self, text: &str) {
        match &self.bar {
            Some(bar) => bar.println(text),
            None => eprintln!("{text}"),
        }
    }

    /// The bar for a run of `epochs`, new when a run (a seed, or a resumed run) starts.
    fn bar(&mut self, record: &EpochRecord, epochs: usize) -> Option<&ProgressBar> {
        if !self.terminal {
            return None;
        }
        let stale = self.bar.as_ref().is_none_or(|b| {
            b.length() != Some(epochs as u64) || b.position() >= record.epoch as u64
        });
        if stale {
            if let Some(old) = self.bar.take() {
                old.finish_and_clear();
            }
            let bar =
                ProgressBar::with_draw_target(Some(epochs as u64), ProgressDrawTarget::stderr());
            bar.set_style(
                ProgressStyle::with_template(
                    "{bar:30} epoch {pos}/{len}  {msg}  {elapsed} (eta {eta})",
                )
                .unwrap_or_else(|_| ProgressStyle::default_bar()),
            );
            bar.set_position(record.epoch.saturating_sub(1) as u64);
            self.bar = Some(bar);
        }
        self.bar.as_ref()
    }
}

impl TrainObserver for EpochProgress {
    fn warning(&mut self, message: &str) {
        self.line(&format!("warning: {message}"));
    }

    fn epoch(&mut self, r: &EpochRecord, epochs: usize) {
        let text = format!(
            "epoch {:>3}/{epochs}  train loss {:.4}  validation loss {:.4}  grad norm {:.3} (max \
             {:.3})  lr {:.2e}  {:.1}s",
            r.epoch, r.train_loss, r.validation_loss, r.grad_norm, r.grad_norm_max, r.lr, r.seconds
        );
        match self.bar(r, epochs) {
            Some(bar) => {
                bar.println(text);
                bar.set_message(format!(
                    "train {:.4}  validation {:.4}",
                    r.train_loss, r.validation_loss
                ));
                bar.set_position(r.epoch as u64);
                if r.epoch >= epochs {
                    bar.finish_and_clear();
                }
            }
            None => eprintln!("{text}"),
        }
    }
}

impl Drop for EpochProgress {
    fn drop(&mut self) {
        if let Some(bar) = self.bar.take() {
            bar.finish_and_clear();
        }
    }
}
