//! What a trained model looks at: the atoms' hard clusters, and gradient × input
//! attributions of the log-signature terms, each named by its Lyndon word over
//! (cluster, axis) letters.

use burn::tensor::Tensor;
use deepsig_signature::{Depth, lyndon_words};

use crate::config::Method;
use crate::inference::{SystemInput, TrainedRun};

/// Clusters and attributions of one system, averaged over its windows.
#[derive(Debug, Clone)]
pub struct Explanation {
    /// K.
    pub clusters: usize,
    /// Mean soft assignment over windows, `[atoms, K]` row-major.
    pub assignment: Vec<f64>,
    /// Each atom's most probable cluster.
    pub hard: Vec<usize>,
    /// Each atom's membership in that cluster.
    pub top_membership: Vec<f64>,
    /// The mean prediction over windows (probabilities, or the value).
    pub prediction: Vec<f64>,
    /// The output unit the attributions explain, and the sign applied to it (−1 when a binary
    /// model predicts class 0, so that positive attributions always favour the prediction).
    pub output: (usize, f64),
    /// Windows averaged.
    pub windows: usize,
    /// Log-signature terms by decreasing |attribution|; `None` for methods without them.
    pub terms: Option<Vec<Term>>,
}

/// One log-signature channel and its attribution.
#[derive(Debug, Clone, PartialEq)]
pub struct Term {
    /// Channel index in the log-signature.
    pub channel: usize,
    /// Its Lyndon word, each letter a `(cluster, axis)` path channel (with `path=learned`
    /// the axes are the read-out's output channels, not x, y, z).
    pub letters: Vec<(usize, usize)>,
    /// Σ over sub-windows of gradient × input, averaged over windows.
    pub attribution: f64,
    /// The same per sub-window.
    pub per_sub_window: Vec<f64>,
}

/// Why an explanation could not be computed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ExplainError {
    /// The run was loaded without autodiff, so no attribution can be differentiated.
    #[error("attributions need the run loaded with autodiff")]
    NoAutodiff,
    /// The head's output did not depend on its features (a disconnected graph).
    #[error("the head gave no gradient for its features")]
    NoGradient,
    /// The run's depth or channels give no log-signature layout.
    #[error("the run's log-signature layout: {0}")]
    Layout(#[from] deepsig_signature::Error),
}

/// The Lyndon words of the log-signature channels of a `clusters × axes` path (channel =
/// cluster · axes + axis), as `(cluster, axis)` letters, in the layout's order.
pub fn channel_words(
    clusters: usize,
    axes: usize,
    depth: usize,
) -> Result<Vec<Vec<(usize, usize)>>, ExplainError> {
    let depth = Depth::new(depth)?;
    let words = lyndon_words(clusters * axes, depth)?;
    Ok(words.into_iter().map(|w| w.into_iter().map(|l| (l / axes, l % axes)).collect()).collect())
}

fn to_vec(t: Tensor<2>) -> Vec<f32> {
    t.into_data().convert::<f32>().try_into_vec().unwrap_or_default()
}

/// Explains `input` with `run` (loaded with `autodiff`, see [`TrainedRun::load`]): clusters
/// from the mean assignment, and for `deepsig`/`sig-fixed` the `top` log-signature terms.
pub fn explain(
    run: &TrainedRun,
    input: &SystemInput,
    top: usize,
) -> Result<Explanation, ExplainError> {
    let config = &run.config.model;
    let k = config.clusters;
    let atoms = input.graph.atoms;
    let mut assignment = vec![0.0f64; atoms * k];
    let mut prediction = vec![0.0f64; run.task.outputs()];
    let mut features = Vec::new();
    for window in input.windows() {
        let out = run.forward(&input.graph, window);
        for (a, v) in assignment.iter_mut().zip(to_vec(out.encoding.assignment.detach())) {
            *a += f64::from(v);
        }
        let p = run.task.predictions(out.logits.detach()).remove(0);
        for (a, v) in prediction.iter_mut().zip(p) {
            *a += v;
        }
        features.push(out.encoding.features.detach());
    }
    let n = features.len().max(1) as f64;
    assignment.iter_mut().for_each(|a| *a /= n);
    prediction.iter_mut().for_each(|a| *a /= n);
    let (hard, top_membership) = (0..atoms)
        .map(|i| {
            let row = &assignment[i * k..(i + 1) * k];
            let best = (0..k).max_by(|&a, &b| row[a].total_cmp(&row[b])).unwrap_or(0);
            (best, row[best])
        })
        .unzip();
    let output = match run.task.class_of(&prediction) {
        Some(c) if run.task.outputs() == 1 => (0, if c == 1 { 1.0 } else { -1.0 }),
        Some(c) => (c, 1.0),
        None => (0, 1.0),
    };
    let terms = match config.method {
        Method::DeepSignature | Method::SigFixed => {
            let words = channel_words(k, 3, config.depth)?;
            let mut sum: Vec<f64> = Vec::new();
            let mut width = 0;
            for f in &features {
                let a = attribution(run, f.clone(), output)?;
                width = f.dims()[1];
                sum.resize(a.len(), 0.0);
                for (s, v) in sum.iter_mut().zip(a) {
                    *s += f64::from(v) / n;
                }
            }
            let mut terms: Vec<Term> = (0..width)
                .map(|c| {
                    let per: Vec<f64> = sum.iter().skip(c).step_by(width).copied().collect();
                    Term {
                        channel: c,
                        letters: words.get(c).cloned().unwrap_or_default(),
                        attribution: per.iter().sum(),
                        per_sub_window: per,
                    }
                })
                .collect();
            terms.sort_by(|a, b| b.attribution.abs().total_cmp(&a.attribution.abs()));
            terms.truncate(top);
            Some(terms)
        }
        _ => None,
    };
    Ok(Explanation {
        clusters: k,
        assignment,
        hard,
        top_membership,
        prediction,
        output,
        windows: features.len(),
        terms,
    })
}

/// Gradient × input of output `output.0` (times `output.1`) with respect to one window's
/// head features `[rows, cols]`, row-major.
fn attribution(
    run: &TrainedRun,
    features: Tensor<2>,
    output: (usize, f64),
) -> Result<Vec<f32>, ExplainError> {
    if !features.device().is_autodiff() {
        return Err(ExplainError::NoAutodiff);
    }
    let features = features.require_grad();
    let logits = run.model.head(features.clone());
    let target = logits.narrow(1, output.0, 1).sum() * output.1;
    let grads = target.backward();
    let grad = features.grad(&grads).ok_or(ExplainError::NoGradient)?;
    Ok(to_vec(grad * features.detach()))
}
