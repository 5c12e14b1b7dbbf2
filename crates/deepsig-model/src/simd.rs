//! Host kernels compiled twice, for baseline x86-64 and for AVX2 + FMA, the wide build chosen
//! at run time: one portable binary and wheel that uses the wide registers where they exist,
//! following the signature engine's switch (`deepsig_signature::wide_simd`, which
//! `DEEPSIG_SIMD=baseline` turns off).

/// Defines `$name`, which runs `$kernel` (an `#[inline(always)]` function, so its body is
/// compiled into each build) as the AVX2 + FMA build `$avx2` where
/// [`deepsig_signature::wide_simd`] says the CPU has them, and as the baseline build otherwise.
/// Rust never contracts `a * b + c` into a fused multiply-add, so both builds give the same
/// numbers. `[$($generics)*]` are the kernel's generic parameters (`[]` for none).
macro_rules! dispatched {
    ($(#[$doc:meta])* fn $name:ident, $avx2:ident [$($generics:tt)*]
        ($($arg:ident: $ty:ty),*) -> $out:ty = $kernel:ident) => {
        $(#[$doc])*
        fn $name<$($generics)*>($($arg: $ty),*) -> $out {
            #[cfg(target_arch = "x86_64")]
            if deepsig_signature::wide_simd() {
                // SAFETY: `wide_simd()` has checked that this CPU supports AVX2 and FMA.
                #[allow(unsafe_code)]
                unsafe {
                    return $avx2($($arg),*);
                }
            }
            $kernel($($arg),*)
        }

        #[cfg(target_arch = "x86_64")]
        #[target_feature(enable = "avx2,fma")]
        fn $avx2<$($generics)*>($($arg: $ty),*) -> $out {
            $kernel($($arg),*)
        }
    };
}

pub(crate) use dispatched;
