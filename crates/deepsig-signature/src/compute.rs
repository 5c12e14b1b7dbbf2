//! Batch drivers: validation, augmentation, the per-path forward and backward, and rayon.
//!
//! The forward is Chen's identity applied point by point,
//! $S(x)_{0,j} = S(x)_{0,j-1} \otimes \exp(x_j - x_{j-1})$, with the fused kernel
//! [`mul_exp_in_place`]. The backward walks the path from the end and recovers each earlier
//! prefix signature by $S_{0,j-1} = S_{0,j} \otimes \exp(-(x_j - x_{j-1}))$ (the signature is a
//! group-like element, so its inverse is exact), which keeps memory at $O(C)$ per path instead
//! of $O(L \cdot C)$. Only levels $1..N-1$ need recovering: no backward formula reads level
//! $N$ of an input.

use std::sync::Arc;

use rayon::prelude::*;

use crate::algebra::{
    Levels, STEPS, ScaledIncrement, TopAdjoint, mul_exp_backward, mul_exp_in_place,
    mul_exp_scratch, mul_exps_in_place, mul_exps_rows, steps_pay_off,
};
use crate::augment::Augmentation;
use crate::brackets::Brackets;
use crate::kernels::{increment_adjoints_steps, row_adjoints_steps};
use crate::log::LogWorkspace;
use crate::lyndon::lyndon_indices;
use crate::{Error, LogMode, PathShape, Scalar, SigOptions, signature_channels};

/// Everything fixed for one call: shapes, index maps.
struct Plan {
    aug: Augmentation,
    levels: Levels,
    /// Output channels per (log-)signature.
    out_channels: usize,
    /// Outputs per path: 1, or the number of steps when streaming.
    outputs_per_path: usize,
    words: Option<Arc<[usize]>>,
    brackets: Option<Brackets>,
    log: bool,
}

impl Plan {
    fn new(shape: PathShape, opts: &SigOptions) -> Result<Plan, Error> {
        if shape.channels == 0 {
            return Err(Error::NoChannels);
        }
        let aug = Augmentation::new(opts, shape.length, shape.channels);
        if shape.length == 0 || aug.aug_length < 2 {
            return Err(Error::TooShort { points: aug.aug_length.min(shape.length) });
        }
        let d = aug.aug_channels;
        let sig_channels = signature_channels(d, opts.depth)?;
        let words = match opts.log {
            Some(LogMode::Words | LogMode::Brackets) => Some(lyndon_indices(d, opts.depth)?),
            _ => None,
        };
        let brackets = match opts.log {
            Some(LogMode::Brackets) => Some(Brackets::new(d, opts.depth)?),
            _ => None,
        };
        let out_channels = words.as_ref().map_or(sig_channels, |w| w.len());
        let outputs_per_path = if opts.stream { aug.aug_length - 1 } else { 1 };
        Ok(Plan {
            levels: Levels::new(d, opts.depth.get()),
            aug,
            out_channels,
            outputs_per_path,
            words,
            brackets,
            log: opts.log.is_some(),
        })
    }

    fn output_len(&self, batch: usize) -> usize {
        batch * self.outputs_per_path * self.out_channels
    }
}

/// Per-thread buffers, reused across the paths one thread handles.
struct Workspace<T> {
    aug: Vec<T>,
    daug: Vec<T>,
    sig: Vec<T>,
    grad: Vec<T>,
    dsig: Vec<T>,
    expanded: Vec<T>,
    dz: Vec<T>,
    /// The `words` adjoint of a `brackets` output's adjoint.
    gwords: Vec<T>,
    scratch: Vec<T>,
    z: ScaledIncrement<T>,
    /// The increments and Horner rows of [`mul_exps_in_place`].
    zs: [ScaledIncrement<T>; STEPS],
    rows: Vec<T>,
    /// The adjoints of `rows` and of `zs`, for [`backward_steps`].
    row_adjoints: Vec<T>,
    dzs: Vec<T>,
    log: Option<LogWorkspace<T>>,
}

impl<T: Scalar> Workspace<T> {
    fn new(plan: &Plan) -> Self {
        let levels = &plan.levels;
        let aug_len = plan.aug.aug_length * plan.aug.aug_channels;
        Workspace {
            aug: if plan.aug.is_identity() { Vec::new() } else { vec![T::ZERO; aug_len] },
            daug: Vec::new(),
            sig: vec![T::ZERO; levels.len()],
            grad: Vec::new(),
            dsig: if plan.log { vec![T::ZERO; levels.len()] } else { Vec::new() },
            expanded: if plan.log { vec![T::ZERO; levels.len()] } else { Vec::new() },
            dz: vec![T::ZERO; levels.d],
            gwords: Vec::with_capacity(if plan.brackets.is_some() { plan.out_channels } else { 0 }),
            scratch: vec![T::ZERO; mul_exp_scratch(levels)],
            z: ScaledIncrement::new(levels.d, levels.depth),
            zs: std::array::from_fn(|_| ScaledIncrement::new(levels.d, levels.depth)),
            rows: vec![T::ZERO; mul_exps_rows(levels)],
            row_adjoints: vec![T::ZERO; mul_exps_rows(levels)],
            dzs: vec![T::ZERO; STEPS * levels.d],
            log: plan.log.then(|| LogWorkspace::new(levels)),
        }
    }
}

/// The augmented path: written into `buffer`, or `path` itself when augmentation is the identity.
fn augmented<'a, T: Scalar>(buffer: &'a mut [T], plan: &Plan, path: &'a [T]) -> &'a [T] {
    if plan.aug.is_identity() {
        path
    } else {
        plan.aug.apply(path, buffer);
        buffer
    }
}

fn check_finite<T: Scalar>(paths: &[T], shape: PathShape) -> Result<(), Error> {
    match paths.iter().position(|v| !v.is_finite()) {
        None => Ok(()),
        Some(i) => {
            let per_path = shape.length * shape.channels;
            Err(Error::NonFinite {
                path: i / per_path,
                point: (i % per_path) / shape.channels,
                channel: i % shape.channels,
            })
        }
    }
}

fn check_len(what: &'static str, expected: usize, got: usize) -> Result<(), Error> {
    if expected == got { Ok(()) } else { Err(Error::ShapeMismatch { what, expected, got }) }
}

/// Writes the output (signature, expanded log or words) of a signature `sig` into `out`.
fn write_output<T: Scalar>(
    plan: &Plan,
    ws_log: &mut Option<LogWorkspace<T>>,
    expanded: &mut [T],
    sig: &[T],
    out: &mut [T],
) {
    let Some(log) = ws_log else {
        out.copy_from_slice(sig);
        return;
    };
    match &plan.words {
        None => log.log(sig, out, &plan.levels),
        Some(words) => {
            log.log(sig, expanded, &plan.levels);
            for (o, &w) in out.iter_mut().zip(words.iter()) {
                *o = expanded[w];
            }
            if let Some(brackets) = &plan.brackets {
                brackets.words_to_brackets(out);
            }
        }
    }
}

/// Adds the adjoint, with respect to the signature, of the output whose adjoint is `g`.
/// `sig` needs valid levels `1..N-1` only.
fn add_output_adjoint<T: Scalar>(plan: &Plan, ws: &mut Workspace<T>, g: &[T]) {
    let Some(log) = &mut ws.log else {
        for (acc, &gv) in ws.grad.iter_mut().zip(g) {
            *acc += gv;
        }
        return;
    };
    // `expanded` is reused as the adjoint of the expanded logarithm.
    let mut glog = std::mem::take(&mut ws.expanded);
    match &plan.words {
        None => glog.copy_from_slice(g),
        Some(words) => {
            glog.fill(T::ZERO);
            let g = match &plan.brackets {
                None => g,
                Some(brackets) => {
                    ws.gwords.clear();
                    ws.gwords.extend_from_slice(g);
                    brackets.backward(&mut ws.gwords);
                    &ws.gwords
                }
            };
            for (&w, &gv) in words.iter().zip(g) {
                glog[w] = gv;
            }
        }
    }
    log.log_backward(&ws.sig, &glog, &mut ws.dsig, &plan.levels);
    for (acc, &d) in ws.grad.iter_mut().zip(&ws.dsig) {
        *acc += d;
    }
    ws.expanded = glog;
}

fn forward_path<T: Scalar>(plan: &Plan, ws: &mut Workspace<T>, path: &[T], out: &mut [T]) {
    let d = plan.levels.d;
    let depth = plan.levels.depth;
    let mut buffer = std::mem::take(&mut ws.aug);
    let aug = augmented(&mut buffer, plan, path);
    ws.sig.fill(T::ZERO);
    if plan.outputs_per_path == 1 {
        signature_of_steps(plan, ws, aug, depth);
        let o = &mut out[..plan.out_channels];
        write_output(plan, &mut ws.log, &mut ws.expanded, &ws.sig, o);
    } else {
        let outputs = out.chunks_exact_mut(plan.out_channels);
        for (pair, o) in aug.windows(2 * d).step_by(d).zip(outputs) {
            ws.z.set_difference(&pair[..d], &pair[d..], false);
            mul_exp_in_place(&mut ws.sig, &ws.z, &plan.levels, depth, &mut ws.scratch);
            write_output(plan, &mut ws.log, &mut ws.expanded, &ws.sig, o);
        }
    }
    ws.aug = buffer;
}

/// `ws.sig <- ws.sig ⊗ S(path)` on levels `1..=depth`, [`STEPS`] increments at a time.
fn signature_of_steps<T: Scalar>(plan: &Plan, ws: &mut Workspace<T>, path: &[T], depth: usize) {
    let d = plan.levels.d;
    let steps = path.len() / d - 1;
    let blocked = if steps_pay_off(d) { steps / STEPS * STEPS } else { 0 };
    for block in path[..(blocked + 1) * d].windows((STEPS + 1) * d).step_by(STEPS * d) {
        for (m, z) in ws.zs.iter_mut().enumerate() {
            z.set_difference(&block[m * d..(m + 1) * d], &block[(m + 1) * d..(m + 2) * d], false);
        }
        mul_exps_in_place(&mut ws.sig, &ws.zs, &plan.levels, depth, &mut ws.rows, &mut ws.scratch);
    }
    for pair in path[blocked * d..].windows(2 * d).step_by(d) {
        ws.z.set_difference(&pair[..d], &pair[d..], false);
        mul_exp_in_place(&mut ws.sig, &ws.z, &plan.levels, depth, &mut ws.scratch);
    }
}

fn backward_path<T: Scalar>(
    plan: &Plan,
    ws: &mut Workspace<T>,
    path: &[T],
    grad_out: &[T],
    dpath: &mut [T],
) {
    let levels = &plan.levels;
    let (d, depth) = (levels.d, levels.depth);
    let steps = plan.aug.aug_length - 1;
    let mut aug = std::mem::take(&mut ws.aug);
    let path_aug = augmented(&mut aug, plan, path);
    // Forward on levels 1..N-1 only: the final signature's top level is never needed.
    ws.sig.fill(T::ZERO);
    signature_of_steps(plan, ws, path_aug, depth - 1);
    ws.grad.clear();
    ws.grad.resize(levels.len(), T::ZERO);
    ws.daug.clear();
    ws.daug.resize(path_aug.len(), T::ZERO);
    if plan.outputs_per_path == 1 {
        add_output_adjoint(plan, ws, grad_out);
    }
    // Once the output's adjoint is all in, the top level's adjoint stays the same from step
    // to step, and [`backward_steps`] takes its products STEPS steps at a time.
    let blocks = plan.outputs_per_path == 1 && depth >= 2 && steps_pay_off(d);
    let mut j = steps;
    while j >= 1 {
        if blocks && j >= STEPS {
            backward_steps(plan, ws, path_aug, j);
            j -= STEPS;
            continue;
        }
        if plan.outputs_per_path > 1 {
            let g = &grad_out[(j - 1) * plan.out_channels..j * plan.out_channels];
            add_output_adjoint(plan, ws, g);
        }
        recover_prefix(plan, ws, path_aug, j);
        let (prev, next) = (&path_aug[(j - 1) * d..j * d], &path_aug[j * d..(j + 1) * d]);
        ws.z.set_difference(prev, next, false);
        ws.dz.fill(T::ZERO);
        mul_exp_backward(&ws.sig, &ws.z, &mut ws.grad, &mut ws.dz, levels, &mut ws.scratch, None);
        add_step_adjoint(&mut ws.daug, &ws.dz, j);
        j -= 1;
    }
    if plan.aug.is_identity() {
        dpath.copy_from_slice(&ws.daug);
    } else {
        dpath.fill(T::ZERO);
        plan.aug.backward(&ws.daug, dpath);
    }
    ws.aug = aug;
}

/// Sets `ws.sig` (levels `1..N-1`) from the prefix signature up to point `j` to the one up to
/// point `j - 1`; the first prefix is exactly the identity.
fn recover_prefix<T: Scalar>(plan: &Plan, ws: &mut Workspace<T>, path: &[T], j: usize) {
    let levels = &plan.levels;
    let (d, depth) = (levels.d, levels.depth);
    if j == 1 {
        ws.sig.fill(T::ZERO);
    } else {
        let (prev, next) = (&path[(j - 1) * d..j * d], &path[j * d..(j + 1) * d]);
        ws.z.set_difference(prev, next, true);
        let lower = levels.len_to(depth - 1);
        mul_exp_in_place(&mut ws.sig[..lower], &ws.z, levels, depth - 1, &mut ws.scratch);
    }
}

/// Adds the adjoint `dz` of step `j`'s increment `x_j - x_{j-1}` to the path's adjoint.
fn add_step_adjoint<T: Scalar>(daug: &mut [T], dz: &[T], j: usize) {
    let d = dz.len();
    let (before, after) = daug.split_at_mut(j * d);
    for ((a, b), &g) in before[(j - 1) * d..].iter_mut().zip(&mut after[..d]).zip(dz) {
        *a -= g;
        *b += g;
    }
}

/// The backward of steps `j, j-1, …, j-STEPS+1` (`ws.sig` holding the prefix up to point
/// `j`). The top level's adjoint `G` is the same for all of them, so the adjoints of the
/// steps' Horner rows, `G z_m`, are taken for all the steps in one sweep of `G` before the
/// lower levels go back step by step, and the top level's part of the increments' adjoints,
/// `row_mᵀ G`, in one sweep after.
fn backward_steps<T: Scalar>(plan: &Plan, ws: &mut Workspace<T>, path: &[T], j: usize) {
    let levels = &plan.levels;
    let (d, depth) = (levels.d, levels.depth);
    let row = levels.size(depth - 1);
    for (m, z) in ws.zs.iter_mut().enumerate() {
        let step = j - m;
        z.set_difference(&path[(step - 1) * d..step * d], &path[step * d..(step + 1) * d], false);
    }
    let top = levels.range(depth);
    let row_adjoints = &mut ws.row_adjoints[..STEPS * row];
    row_adjoints_steps(&ws.grad[top.clone()], std::array::from_fn(|m| ws.zs[m].z()), row_adjoints);
    for m in 0..STEPS {
        recover_prefix(plan, ws, path, j - m);
        let top = TopAdjoint {
            row_adjoints: &ws.row_adjoints[..STEPS * row],
            rows: &mut ws.rows[..STEPS * row],
            step: m,
        };
        ws.dz.fill(T::ZERO);
        mul_exp_backward(
            &ws.sig,
            &ws.zs[m],
            &mut ws.grad,
            &mut ws.dz,
            levels,
            &mut ws.scratch,
            Some(top),
        );
        for (lanes, &dz) in ws.dzs.chunks_exact_mut(STEPS).zip(&ws.dz) {
            lanes[m] = dz;
        }
    }
    increment_adjoints_steps(&ws.rows[..STEPS * row], &ws.grad[top], &mut ws.dzs);
    for m in 0..STEPS {
        for (dz, lanes) in ws.dz.iter_mut().zip(ws.dzs.chunks_exact(STEPS)) {
            *dz = lanes[m];
        }
        add_step_adjoint(&mut ws.daug, &ws.dz, j - m);
    }
}

/// The (log-)signature of every path of a `[batch, length, channels]` batch, into `out`
/// (`[batch, C]`, or `[batch, steps, C]` when streaming; see [`SigOptions::output_shape`]).
///
/// Paths run in parallel on the current rayon thread pool; install a pool to bound the threads.
pub fn signature_into<T: Scalar>(
    paths: &[T],
    shape: PathShape,
    opts: &SigOptions,
    out: &mut [T],
) -> Result<(), Error> {
    let plan = Plan::new(shape, opts)?;
    check_len("the path batch", shape.len(), paths.len())?;
    check_len("the output", plan.output_len(shape.batch), out.len())?;
    check_finite(paths, shape)?;
    let per_path = shape.length * shape.channels;
    let per_out = plan.outputs_per_path * plan.out_channels;
    paths.par_chunks_exact(per_path).zip(out.par_chunks_exact_mut(per_out)).for_each_init(
        || Workspace::new(&plan),
        |ws, (path, out)| forward_path(&plan, ws, path, out),
    );
    Ok(())
}

/// Allocating form of [`signature_into`].
pub fn signature<T: Scalar>(
    paths: &[T],
    shape: PathShape,
    opts: &SigOptions,
) -> Result<Vec<T>, Error> {
    let plan = Plan::new(shape, opts)?;
    let mut out = vec![T::ZERO; plan.output_len(shape.batch)];
    signature_into(paths, shape, opts, &mut out)?;
    Ok(out)
}

/// The vector-Jacobian product of [`signature`]: given `grad` (the output's shape), writes the
/// gradient with respect to `paths` into `dpaths` (the input's shape).
///
/// Memory is $O(C)$ per path whatever the length: earlier prefix signatures are recovered from
/// later ones, not stored.
pub fn signature_backward_into<T: Scalar>(
    paths: &[T],
    shape: PathShape,
    grad: &[T],
    opts: &SigOptions,
    dpaths: &mut [T],
) -> Result<(), Error> {
    let plan = Plan::new(shape, opts)?;
    check_len("the path batch", shape.len(), paths.len())?;
    check_len("the output gradient", plan.output_len(shape.batch), grad.len())?;
    check_len("the path gradient", shape.len(), dpaths.len())?;
    check_finite(paths, shape)?;
    if let Some(index) = grad.iter().position(|g| !g.is_finite()) {
        return Err(Error::NonFiniteGradient { index });
    }
    let per_path = shape.length * shape.channels;
    let per_out = plan.outputs_per_path * plan.out_channels;
    paths
        .par_chunks_exact(per_path)
        .zip(grad.par_chunks_exact(per_out))
        .zip(dpaths.par_chunks_exact_mut(per_path))
        .for_each_init(
            || Workspace::new(&plan),
            |ws, ((path, g), dpath)| backward_path(&plan, ws, path, g, dpath),
        );
    Ok(())
}

/// Allocating form of [`signature_backward_into`].
pub fn signature_backward<T: Scalar>(
    paths: &[T],
    shape: PathShape,
    grad: &[T],
    opts: &SigOptions,
) -> Result<Vec<T>, Error> {
    let mut dpaths = vec![T::ZERO; paths.len()];
    signature_backward_into(paths, shape, grad, opts, &mut dpaths)?;
    Ok(dpaths)
}
