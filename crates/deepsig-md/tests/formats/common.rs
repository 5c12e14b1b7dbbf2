//! Shared helpers: the real-data folder, .npy/.json loading, and writers of tiny fixtures.

use std::path::PathBuf;

use deepsig_md::{Frame, FrameReader};

/// `../shared/data` beside the repository, or `None` (after saying so) when it is absent.
pub(crate) fn data_dir() -> Option<PathBuf> {
    deepsig_testutil::shared_data("reference")
}

/// A float32 .npy array: shape and data in C order.
pub(crate) fn npy(path: &std::path::Path) -> (Vec<u64>, Vec<f32>) {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let file = npyz::NpyFile::new(&bytes[..]).expect("valid npy header");
    let shape = file.shape().to_vec();
    (shape, file.into_vec::<f32>().expect("float32 npy data"))
}

pub(crate) fn json(path: &std::path::Path) -> serde_json::Value {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).expect("valid json")
}

/// Reads every frame of a reader.
pub(crate) fn frames_of(reader: &mut dyn FrameReader) -> Result<Vec<Frame>, deepsig_md::ReadError> {
    let mut out = Vec::new();
    let mut frame = Frame::default();
    while reader.read_next(&mut frame)? {
        out.push(frame.clone());
    }
    Ok(out)
}

/// Test positions for frame `f` of `n` atoms: distinct, non-trivial values.
pub(crate) fn positions(f: usize, n: usize) -> Vec<[f32; 3]> {
    (0..n)
        .map(|i| {
            let x = i as f32 * 1.25 + f as f32 * 0.5;
            [x, -x * 0.75 + 3.0, 10.0 + (i % 7) as f32 * 0.125 - f as f32]
        })
        .collect()
}

/// Byte writer with a chosen byte order.
pub(crate) struct W {
    pub(crate) buf: Vec<u8>,
    pub(crate) big: bool,
}

impl W {
    pub(crate) fn new(big: bool) -> W {
        W { buf: Vec::new(), big }
    }
    pub(crate) fn i32(&mut self, v: i32) -> &mut W {
        let b = if self.big { v.to_be_bytes() } else { v.to_le_bytes() };
        self.buf.extend_from_slice(&b);
        self
    }
    pub(crate) fn f32(&mut self, v: f32) -> &mut W {
        self.i32(v.to_bits() as i32)
    }
    pub(crate) fn f64(&mut self, v: f64) -> &mut W {
        let b = if self.big { v.to_be_bytes() } else { v.to_le_bytes() };
        self.buf.extend_from_slice(&b);
        self
    }
    pub(crate) fn bytes(&mut self, b: &[u8]) -> &mut W {
        self.buf.extend_from_slice(b);
        self
    }
}

/// Options of a generated DCD.
pub(crate) struct DcdSpec {
    pub(crate) big: bool,
    pub(crate) nset: i32,
    pub(crate) istart: i32,
    pub(crate) nsavc: i32,
    pub(crate) delta: f32,
    /// A, gamma, B, beta, alpha, C per frame, or no cell record.
    pub(crate) cell: Option<[f64; 6]>,
}

/// A CHARMM-style DCD with the given frames.
pub(crate) fn write_dcd(spec: &DcdSpec, frames: &[Vec<[f32; 3]>]) -> Vec<u8> {
    let n = frames.first().map_or(0, Vec::len);
    let mut w = W::new(spec.big);
    w.i32(84).bytes(b"CORD");
    let mut icntrl = [0i32; 20];
    icntrl[0] = spec.nset;
    icntrl[1] = spec.istart;
    icntrl[2] = spec.nsavc;
    icntrl[9] = spec.delta.to_bits() as i32;
    icntrl[10] = i32::from(spec.cell.is_some());
    icntrl[19] = 24;
    for v in icntrl {
        w.i32(v);
    }
    w.i32(84);
    let mut title = [b' '; 160];
    title[..14].copy_from_slice(b"* generated 1 ");
    w.i32(164).i32(2).bytes(&title).i32(164);
    w.i32(4).i32(n as i32).i32(4);
    for frame in frames {
        if let Some(cell) = spec.cell {
            w.i32(48);
            for v in cell {
                w.f64(v);
            }
            w.i32(48);
        }
        for k in 0..3 {
            w.i32(4 * n as i32);
            for p in frame {
                w.f32(p[k]);
            }
            w.i32(4 * n as i32);
        }
    }
    w.buf
}

/// A GROMACS TRR (single or double precision) with box, positions in nm, and velocities.
pub(crate) fn write_trr(frames: &[Vec<[f32; 3]>], double: bool, boxv: [f32; 9]) -> Vec<u8> {
    let n = frames.first().map_or(0, Vec::len) as i32;
    let real = if double { 8 } else { 4 };
    let mut w = W::new(true);
    let put = |w: &mut W, v: f32| {
        if double {
            w.f64(f64::from(v));
        } else {
            w.f32(v);
        }
    };
    for (f, frame) in frames.iter().enumerate() {
        w.i32(1993).i32(13).i32(12).bytes(b"GMX_trn_file");
        for size in [0, 0, 9 * real, 0, 0, 0, 0, 3 * n * real, 3 * n * real, 0] {
            w.i32(size);
        }
        w.i32(n).i32(10 * f as i32).i32(0);
        put(&mut w, f as f32 * 2.5);
        put(&mut w, 0.0);
        for v in boxv {
            put(&mut w, v);
        }
        for p in frame {
            for v in p {
                put(&mut w, v / 10.0);
            }
        }
        for p in frame {
            for v in p {
                put(&mut w, -v);
            }
        }
    }
    w.buf
}

/// An XTC of at most 9 atoms, which the format stores uncompressed (positions in nm).
pub(crate) fn write_small_xtc(frames: &[Vec<[f32; 3]>], boxv: [f32; 9]) -> Vec<u8> {
    let mut w = W::new(true);
    for (f, frame) in frames.iter().enumerate() {
        let n = frame.len() as i32;
        w.i32(1995).i32(n).i32(f as i32 * 100).f32(f as f32);
        for v in boxv {
            w.f32(v);
        }
        w.i32(n);
        for p in frame {
            for v in p {
                w.f32(*v);
            }
        }
    }
    w.buf
}

/// A compressed XTC written by molly (positions in nm, precision 1000).
pub(crate) fn write_molly_xtc(frames: &[Vec<[f32; 3]>]) -> Vec<u8> {
    write_molly_xtc_magic(frames, molly::Magic::Xtc1995)
}

/// Like [`write_molly_xtc`] with a chosen magic (2023 has 64-bit block sizes).
pub(crate) fn write_molly_xtc_magic(frames: &[Vec<[f32; 3]>], magic: molly::Magic) -> Vec<u8> {
    let mut out = Vec::new();
    {
        let mut writer = molly::XTCWriter::new_with_magic(&mut out, magic);
        for (f, frame) in frames.iter().enumerate() {
            let mf = molly::Frame {
                step: f as u32 * 10,
                time: f as f32 * 0.5,
                boxvec: [5.0, 0.0, 0.0, 0.0, 6.0, 0.0, 0.0, 0.0, 7.0],
                precision: 1000.0,
                positions: frame.iter().flatten().copied().collect(),
            };
            writer.write_frame(&mf).expect("molly writes to memory");
        }
    }
    out
}

/// The workspace's one seeded generator, so failures reproduce.
pub(crate) use deepsig_testutil::Rng;
