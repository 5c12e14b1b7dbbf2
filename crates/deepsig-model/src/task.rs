//! What is predicted: the task inferred from the manifest's labels, its loss and its metrics.

use burn::tensor::activation::{log_softmax, sigmoid, softmax};
use burn::tensor::{Tensor, TensorData};
use deepsig_md::Label;
use serde::{Deserialize, Serialize};

use crate::error::FitError;
use crate::metrics::{self, Metrics};

/// The learning task.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", tag = "kind")]
pub enum Task {
    /// Two classes; the second one (sorted order) is the positive class 1.
    Binary {
        /// Class names, sorted.
        classes: Vec<String>,
    },
    /// More than two classes.
    MultiClass {
        /// Class names, sorted.
        classes: Vec<String>,
    },
    /// Real-valued targets.
    Regression,
}

impl Task {
    /// The task the labels imply: any real label → regression; else classes by name.
    pub fn infer<'a>(
        labels: impl IntoIterator<Item = &'a Label> + Clone,
    ) -> Result<Task, FitError> {
        if labels.clone().into_iter().any(|l| matches!(l, Label::Real(_))) {
            return Ok(Task::Regression);
        }
        let mut classes: Vec<String> = labels.into_iter().map(Label::to_string).collect();
        classes.sort();
        classes.dedup();
        match classes.len() {
            0 | 1 => Err(FitError::TooFewClasses { found: classes.len() }),
            2 => Ok(Task::Binary { classes }),
            _ => Ok(Task::MultiClass { classes }),
        }
    }

    /// Output units.
    pub fn outputs(&self) -> usize {
        match self {
            Task::Binary { .. } | Task::Regression => 1,
            Task::MultiClass { classes } => classes.len(),
        }
    }

    /// The numeric target of a label: the class index, or the value.
    pub fn target(&self, label: &Label) -> f64 {
        match (self, label) {
            (Task::Regression, Label::Integer(i)) => *i as f64,
            (Task::Regression, Label::Real(x)) => *x,
            (Task::Binary { classes } | Task::MultiClass { classes }, l) => {
                classes.iter().position(|c| *c == l.to_string()).unwrap_or(0) as f64
            }
            (Task::Regression, Label::Text(_)) => f64::NAN,
        }
    }

    /// Mean loss of `logits` `[batch, outputs]` against `targets`: BCE on logits (one
    /// sigmoid), softmax cross-entropy, or MSE.
    pub fn loss(&self, logits: Tensor<2>, targets: &[f64]) -> Tensor<1> {
        let device = logits.device();
        let n = targets.len();
        match self {
            Task::Binary { .. } => {
                let y = Tensor::<2>::from_data(
                    TensorData::new(targets.iter().map(|&t| t as f32).collect(), [n, 1]),
                    &device,
                );
                // log(1 + e^z) - y z, written stably: max(z, 0) - y z + log(1 + e^{-|z|}).
                let softplus = logits.clone().clamp_min(0.0)
                    + (-logits.clone().abs()).exp().add_scalar(1.0).log();
                (softplus - y * logits).mean()
            }
            Task::MultiClass { classes } => {
                let mut one_hot = vec![0.0f32; n * classes.len()];
                for (i, &t) in targets.iter().enumerate() {
                    one_hot[i * classes.len() + t as usize] = 1.0;
                }
                let y =
                    Tensor::<2>::from_data(TensorData::new(one_hot, [n, classes.len()]), &device);
                -(log_softmax(logits, 1) * y).sum_dim(1).mean()
            }
            Task::Regression => {
                let y = Tensor::<2>::from_data(
                    TensorData::new(targets.iter().map(|&t| t as f32).collect(), [n, 1]),
                    &device,
                );
                (logits - y).powf_scalar(2.0).mean()
            }
        }
    }

    /// Per-window outputs as numbers: P(class 1), class probabilities, or the value.
    pub fn predictions(&self, logits: Tensor<2>) -> Vec<Vec<f64>> {
        let outputs = self.outputs();
        let probs = match self {
            Task::Binary { .. } => sigmoid(logits),
            Task::MultiClass { .. } => softmax(logits, 1),
            Task::Regression => logits,
        };
        let values: Vec<f32> =
            probs.into_data().convert::<f32>().try_into_vec().unwrap_or_default();
        values.chunks(outputs).map(|c| c.iter().map(|&v| f64::from(v)).collect()).collect()
    }

    /// Class names, empty for regression.
    pub fn classes(&self) -> &[String] {
        match self {
            Task::Binary { classes } | Task::MultiClass { classes } => classes,
            Task::Regression => &[],
        }
    }

    /// The predicted class index of one prediction (from [`Task::predictions`]): P ≥ ½ for
    /// binary, the most probable class otherwise; `None` for regression.
    pub fn class_of(&self, prediction: &[f64]) -> Option<usize> {
        match self {
            Task::Binary { .. } => Some(usize::from(prediction.first().is_some_and(|&p| p >= 0.5))),
            Task::MultiClass { .. } => {
                (0..prediction.len()).max_by(|&a, &b| prediction[a].total_cmp(&prediction[b]))
            }
            Task::Regression => None,
        }
    }

    /// Metrics of predictions (from [`Task::predictions`]) against targets.
    pub fn metrics(&self, predictions: &[Vec<f64>], targets: &[f64]) -> Metrics {
        match self {
            Task::Binary { .. } => {
                let p: Vec<f64> = predictions.iter().map(|p| p[0]).collect();
                let y: Vec<usize> = targets.iter().map(|&t| t as usize).collect();
                Metrics::Binary(metrics::binary(&p, &y))
            }
            Task::MultiClass { classes } => {
                let y: Vec<usize> = targets.iter().map(|&t| t as usize).collect();
                Metrics::MultiClass(metrics::multi_class(predictions, &y, classes.len()))
            }
            Task::Regression => {
                let p: Vec<f64> = predictions.iter().map(|p| p[0]).collect();
                Metrics::Regression(metrics::regression(&p, targets))
            }
        }
    }
}
