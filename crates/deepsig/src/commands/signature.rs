//! `deepsig signature`: (log-)signatures and their backward for paths in a `.npy` file.

use anyhow::{Context, Result, bail};
use deepsig_signature::{Depth, LogMode, PathShape, Scalar, SigOptions, with_threads};

use crate::args::{LogArg, SigArgs, SignatureArgs};
use crate::npy::{self, Array};

/// Turns the command-line signature flags into engine options.
pub(crate) fn options(args: &SigArgs) -> Result<SigOptions> {
    Ok(SigOptions {
        depth: Depth::new(args.depth)?,
        log: args.log.map(|l| match l {
            LogArg::Words => LogMode::Words,
            LogArg::Expand => LogMode::Expand,
            LogArg::Brackets => LogMode::Brackets,
        }),
        stream: args.stream,
        basepoint: args.basepoint,
        inverse: args.inverse,
        time: args.time,
        lead_lag: args.lead_lag,
    })
}

/// `(L, d)` is one path, `(B, L, d)` a batch.
fn path_shape(shape: &[usize], what: &str) -> Result<PathShape> {
    match *shape {
        [length, channels] => Ok(PathShape { batch: 1, length, channels }),
        [batch, length, channels] => Ok(PathShape { batch, length, channels }),
        _ => bail!("{what} has shape {shape:?}; expected (L, d) or (B, L, d)"),
    }
}

pub(crate) fn run(args: &SignatureArgs) -> Result<()> {
    let opts = options(&args.sig)?;
    let input = npy::read(&args.input)?;
    let what = args.input.display().to_string();
    let shape = path_shape(input.shape(), &what)?;
    let single = input.shape().len() == 2;
    let mut out_shape = opts.output_shape(shape)?;
    if single {
        out_shape.remove(0);
    }
    let grad = args.grad.as_deref().map(npy::read).transpose()?;
    if let Some(g) = &grad {
        if g.shape() != out_shape.as_slice() {
            bail!(
                "{} has shape {:?} but the output for {what} with these options has shape {out_shape:?}",
                args.grad.as_deref().map(|p| p.display().to_string()).unwrap_or_default(),
                g.shape()
            );
        }
        if g.dtype_name() != input.dtype_name() {
            bail!(
                "the gradient is {} but {what} is {}; use the same dtype",
                g.dtype_name(),
                input.dtype_name()
            );
        }
    }
    let compute = || -> Result<()> {
        match (input, grad) {
            (Array::F32 { data, shape: in_shape }, g) => {
                compute(&data, &in_shape, g, shape, &opts, &out_shape, args)
            }
            (Array::F64 { data, shape: in_shape }, g) => {
                compute(&data, &in_shape, g, shape, &opts, &out_shape, args)
            }
        }
    };
    with_threads(args.sig.threads, compute).context("cannot start the thread pool")?
}

/// The array of type `T` inside `grad`, known to match the input's dtype.
trait FromArray: Sized {
    fn take(array: Array) -> Option<Vec<Self>>;
}

impl FromArray for f32 {
    fn take(array: Array) -> Option<Vec<f32>> {
        if let Array::F32 { data, .. } = array { Some(data) } else { None }
    }
}

impl FromArray for f64 {
    fn take(array: Array) -> Option<Vec<f64>> {
        if let Array::F64 { data, .. } = array { Some(data) } else { None }
    }
}

fn compute<T: Scalar + FromArray + deepsig_md::NpyFloat>(
    data: &[T],
    in_shape: &[usize],
    grad: Option<Array>,
    shape: PathShape,
    opts: &SigOptions,
    out_shape: &[usize],
    args: &SignatureArgs,
) -> Result<()> {
    let context = || format!("cannot compute the signature of {}", args.input.display());
    match grad.and_then(T::take) {
        None => {
            let out = deepsig_signature::signature(data, shape, opts).with_context(context)?;
            npy::write(&args.output, args.force, &out, out_shape)
        }
        Some(g) => {
            let dx = deepsig_signature::signature_backward(data, shape, &g, opts)
                .with_context(context)?;
            npy::write(&args.output, args.force, &dx, in_shape)
        }
    }
}
