//! The choice of hot loop: which implementation of the codec's scan runs on this CPU.
//!
//! The codec has one portable implementation (`memchr2` run copies and branch-free byte steps)
//! and, with the `simd` feature on x86-64, block kernels for AVX2 and AVX-512 VBMI2. By default
//! ([`Kernel::AUTO`]) the best one the CPU supports runs, found at run time with `std` and from
//! the compile-time target features without it. A [`Kernel`] other than `AUTO` can only be
//! obtained for a kernel the running CPU supports, so choosing one is never unsound.

/// Which implementation of the codec's hot loops an [`Unescaper`](super::Unescaper) or
/// [`Escaper`](super::Escaper) runs.
///
/// All kernels give the same bytes; they differ only in speed. Forcing one is for benchmarks,
/// tests and comparison on one machine.
///
/// ```
/// use at_ftp_proto::{Kernel, Unescaper};
///
/// let mut dec = Unescaper::new();
/// dec.set_kernel(Kernel::PORTABLE);
/// assert_eq!(dec.kernel().name(), "portable");
/// // The best kernel this CPU has: "avx512", "avx2" or "portable".
/// assert!(["avx512", "avx2", "portable"].contains(&Kernel::AUTO.name()));
/// // Asking for one the CPU lacks gives `None`, never a kernel that would fault.
/// if let Some(avx2) = Kernel::avx2() {
///     assert_eq!(avx2.name(), "avx2");
/// }
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Kernel(Choice);

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
enum Choice {
    #[default]
    Auto,
    Portable,
    #[cfg(all(feature = "simd", target_arch = "x86_64"))]
    Avx2,
    #[cfg(all(feature = "simd", target_arch = "x86_64"))]
    Avx512,
}

/// A kernel resolved for this CPU: what the scan dispatches on.
///
/// The SIMD variants hold a [`Detected`], which only this module makes, after detection: a
/// `Path` that names a SIMD kernel is proof that the CPU runs it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Path {
    Portable,
    #[cfg(all(feature = "simd", target_arch = "x86_64"))]
    Avx2(Detected),
    #[cfg(all(feature = "simd", target_arch = "x86_64"))]
    Avx512(Detected),
}

/// The CPU was found to support the kernel of the [`Path`] holding this. The private field keeps
/// it from being made outside this module.
#[cfg(all(feature = "simd", target_arch = "x86_64"))]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Detected(());

impl Kernel {
    /// The best kernel the running CPU supports (the default).
    pub const AUTO: Kernel = Kernel(Choice::Auto);

    /// The portable kernel: `memchr2` run copies and byte steps, on every target.
    pub const PORTABLE: Kernel = Kernel(Choice::Portable);

    /// The AVX2 block kernel, if this build has it and the CPU supports it.
    pub fn avx2() -> Option<Kernel> {
        #[cfg(all(feature = "simd", target_arch = "x86_64"))]
        if has_avx2() {
            return Some(Kernel(Choice::Avx2));
        }
        None
    }

    /// The AVX-512 VBMI2 kernel (compress and expand), if this build has it and the CPU
    /// supports it.
    pub fn avx512() -> Option<Kernel> {
        #[cfg(all(feature = "simd", target_arch = "x86_64"))]
        if has_avx512() {
            return Some(Kernel(Choice::Avx512));
        }
        None
    }

    /// The name of the kernel that runs: `"avx512"`, `"avx2"` or `"portable"`. For
    /// [`Kernel::AUTO`], the one picked on this CPU.
    pub fn name(self) -> &'static str {
        match self.path() {
            Path::Portable => "portable",
            #[cfg(all(feature = "simd", target_arch = "x86_64"))]
            Path::Avx2(_) => "avx2",
            #[cfg(all(feature = "simd", target_arch = "x86_64"))]
            Path::Avx512(_) => "avx512",
        }
    }

    /// The kernel to run now. `AUTO` asks the CPU each time: the standard library caches the
    /// answer, so this is one load.
    #[inline(always)]
    pub(super) fn path(self) -> Path {
        match self.0 {
            Choice::Portable => Path::Portable,
            // Made only by `avx2()` and `avx512()`, after detection.
            #[cfg(all(feature = "simd", target_arch = "x86_64"))]
            Choice::Avx2 => Path::Avx2(Detected(())),
            #[cfg(all(feature = "simd", target_arch = "x86_64"))]
            Choice::Avx512 => Path::Avx512(Detected(())),
            Choice::Auto => {
                #[cfg(all(feature = "simd", target_arch = "x86_64"))]
                {
                    if has_avx512() {
                        return Path::Avx512(Detected(()));
                    }
                    if has_avx2() {
                        return Path::Avx2(Detected(()));
                    }
                }
                Path::Portable
            }
        }
    }
}

/// What the AVX-512 kernels use: byte compares into mask registers (BW), `vpcompressb` and
/// `vpexpandb` (VBMI2), `pdep`/`pext` (BMI2) and `popcnt`.
#[cfg(all(feature = "simd", target_arch = "x86_64"))]
#[inline(always)]
fn has_avx512() -> bool {
    #[cfg(feature = "std")]
    {
        std::is_x86_feature_detected!("avx512f")
            && std::is_x86_feature_detected!("avx512bw")
            && std::is_x86_feature_detected!("avx512vbmi2")
            && std::is_x86_feature_detected!("bmi2")
            && std::is_x86_feature_detected!("popcnt")
    }
    #[cfg(not(feature = "std"))]
    {
        cfg!(all(
            target_feature = "avx512f",
            target_feature = "avx512bw",
            target_feature = "avx512vbmi2",
            target_feature = "bmi2",
            target_feature = "popcnt"
        ))
    }
}

/// What the AVX2 kernels use: 32-byte compares and `pshufb`, and `popcnt`.
#[cfg(all(feature = "simd", target_arch = "x86_64"))]
#[inline(always)]
fn has_avx2() -> bool {
    #[cfg(feature = "std")]
    {
        std::is_x86_feature_detected!("avx2") && std::is_x86_feature_detected!("popcnt")
    }
    #[cfg(not(feature = "std"))]
    {
        cfg!(all(target_feature = "avx2", target_feature = "popcnt"))
    }
}
