//! Feature-scattering adversarial training (Zhang & Wang, NeurIPS 2019) and robustness evaluation
//! from Rust: a safe layer over the FeatureScatter C ABI (`include/featurescatter.h`, raw in [`sys`]).
//!
//! Handles free themselves on drop, statuses become [`Error`], buffers are slices. Threads: as the
//! C ABI says, one handle is used by one thread at a time and distinct handles are independent, so
//! the handle types are `Send` and not `Sync`.
//!
//! ```no_run
//! use featurescatter::{Dataset, Model, Split, Trainer, TrainerConfig};
//! let train = Dataset::load("fashion-mnist", Split::Train, 2000, None)?;
//! let mut model = Model::create("smallcnn", [1, 28, 28], 10, 0)?;
//! let mut config = TrainerConfig::default();  // feature scattering, eps 0.1
//! config.raw.epochs = 1;
//! Trainer::new(&mut model, &config)?.train(&train, None, None, None)?;
//! # Ok::<(), featurescatter::Error>(())
//! ```

pub mod sys;

use std::ffi::{CStr, CString};
use std::fmt;
use std::marker::PhantomData;
use std::os::raw::{c_int, c_void};
use std::ptr;

/// A failed call: the status and the library's message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Error {
    pub status: sys::fsc_status,
    pub message: String,
}

impl Error {
    fn new(status: sys::fsc_status, message: impl Into<String>) -> Self {
        Error { status, message: message.into() }
    }

    /// The status's name ("FSC_ERR_SHAPE", …).
    pub fn status_name(&self) -> String {
        text(unsafe { sys::fsc_status_string(self.status) })
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.status_name(), self.message)
    }
}

impl std::error::Error for Error {}

pub type Result<T> = std::result::Result<T, Error>;

fn text(pointer: *const std::os::raw::c_char) -> String {
    if pointer.is_null() {
        return String::new();
    }
    unsafe { CStr::from_ptr(pointer) }.to_string_lossy().into_owned()
}

fn check(status: sys::fsc_status) -> Result<()> {
    if status == sys::FSC_OK {
        Ok(())
    } else {
        Err(Error::new(status, text(unsafe { sys::fsc_last_error() })))
    }
}

fn c_string(value: &str) -> Result<CString> {
    CString::new(value).map_err(|_| Error::new(sys::FSC_ERR_INVALID_ARGUMENT, format!("{value:?} contains a NUL byte")))
}

/// The C ABI takes images by shape alone: the slice must hold exactly the shape's elements.
fn images_for(images: &[f32], shape: &[i64; 4]) -> Result<()> {
    let expected = shape.iter().try_fold(1usize, |count, &extent| usize::try_from(extent).ok().map(|e| count * e));
    if expected == Some(images.len()) {
        Ok(())
    } else {
        Err(Error::new(sys::FSC_ERR_SHAPE, format!("{} image values for a batch of shape {:?}", images.len(), shape)))
    }
}

fn rows(shape: &[i64; 4]) -> usize {
    usize::try_from(shape[0]).unwrap_or(0)
}

/// The library's version, "major.minor.patch".
pub fn version() -> String {
    text(unsafe { sys::fsc_version() })
}

/// The OpenBLAS kernel set in use.
pub fn blas_core() -> String {
    text(unsafe { sys::fsc_blas_core() })
}

/// Worker threads the engine uses.
pub fn threads() -> Result<i32> {
    let mut count = 0;
    check(unsafe { sys::fsc_get_threads(&mut count) })?;
    Ok(count)
}

/// Sets the worker threads (1..1024) for every handle.
pub fn set_threads(count: i32) -> Result<()> {
    check(unsafe { sys::fsc_set_threads(count) })
}

macro_rules! owned_handle {
    ($name:ident, $raw:ty, $free:path) => {
        impl Drop for $name {
            fn drop(&mut self) {
                unsafe { $free(self.raw) }
            }
        }
        // One thread at a time per handle (the header's rule): movable between threads, not shared.
        unsafe impl Send for $name {}
        impl $name {
            /// The raw handle, for calls into [`sys`]; still owned by `self`.
            pub fn as_ptr(&self) -> *mut $raw {
                self.raw
            }
        }
    };
}

/// A C config struct, `raw`, whose `Default` is the library's `fsc_*_config_default`.
macro_rules! c_config {
    ($name:ident, $raw:ident, $default:ident, $doc:literal) => {
        #[doc = $doc]
        #[derive(Clone, Copy, Debug)]
        pub struct $name {
            pub raw: sys::$raw,
        }

        impl Default for $name {
            fn default() -> Self {
                let mut raw: sys::$raw = unsafe { std::mem::zeroed() };
                raw.struct_size = std::mem::size_of::<sys::$raw>();
                unsafe { sys::$default(&mut raw) };
                $name { raw }
            }
        }
    };
}

/// The processes of one run, from the host's MPI communicator (collective on every rank).
pub struct Communicator {
    raw: *mut sys::fsc_communicator,
}
owned_handle!(Communicator, sys::fsc_communicator, sys::fsc_communicator_free);

impl Communicator {
    /// Wraps `MPI_Comm_c2f(comm)`; MPI must be initialised (else an `FSC_ERR_IO` error).
    pub fn from_mpi(fortran_handle: i64) -> Result<Self> {
        let mut raw = ptr::null_mut();
        check(unsafe { sys::fsc_communicator_from_mpi(fortran_handle, &mut raw) })?;
        Ok(Communicator { raw })
    }

    /// (rank, size).
    pub fn info(&self) -> Result<(i32, i32)> {
        let (mut rank, mut size) = (0, 0);
        check(unsafe { sys::fsc_communicator_info(self.raw, &mut rank, &mut size) })?;
        Ok((rank, size))
    }
}

/// Which part of a data set to load.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Split {
    Train = 0,
    Test = 1,
}

/// A labelled image set held in memory.
pub struct Dataset {
    raw: *mut sys::fsc_dataset,
}
owned_handle!(Dataset, sys::fsc_dataset, sys::fsc_dataset_free);

impl Dataset {
    /// "fashion-mnist" (no path: the Debian package's folder), "mnist", "cifar10", "cifar100", "svhn",
    /// "svhn-extra" (SVHN's train split with extra_32x32.mat) or "npz";
    /// `limit` keeps the first examples (0 = all).
    pub fn load(name: &str, split: Split, limit: i64, path: Option<&str>) -> Result<Self> {
        let name = c_string(name)?;
        let path = path.map(c_string).transpose()?;
        let mut raw = ptr::null_mut();
        check(unsafe {
            sys::fsc_dataset_load(name.as_ptr(), path.as_ref().map_or(ptr::null(), |p| p.as_ptr()), split as c_int,
                                  limit, &mut raw)
        })?;
        Ok(Dataset { raw })
    }

    /// Copies NCHW images in [0, 1] and labels in [0, classes).
    pub fn from_memory(images: &[f32], shape: [i64; 4], labels: &[i32], classes: i32) -> Result<Self> {
        images_for(images, &shape)?;
        let mut raw = ptr::null_mut();
        check(unsafe {
            sys::fsc_dataset_from_memory(images.as_ptr(), shape.as_ptr(), 4, labels.as_ptr(), labels.len(), classes,
                                         &mut raw)
        })?;
        Ok(Dataset { raw })
    }

    /// (examples, [C, H, W], classes).
    pub fn info(&self) -> Result<(i64, [i64; 3], i32)> {
        let (mut count, mut shape, mut classes) = (0, [0i64; 3], 0);
        check(unsafe { sys::fsc_dataset_info(self.raw, &mut count, shape.as_mut_ptr(), &mut classes) })?;
        Ok((count, shape, classes))
    }

    /// Examples [first, first + n): images (n·C·H·W) and labels (n).
    pub fn copy(&self, first: i64, n: i64) -> Result<(Vec<f32>, Vec<i32>)> {
        let (_, shape, _) = self.info()?;
        let count = usize::try_from(n.max(0)).unwrap_or(0);
        let mut images = vec![0f32; count * (shape[0] * shape[1] * shape[2]) as usize];
        let mut labels = vec![0i32; count];
        check(unsafe {
            sys::fsc_dataset_copy(self.raw, first, n, images.as_mut_ptr(), images.len(), labels.as_mut_ptr(),
                                  labels.len())
        })?;
        Ok((images, labels))
    }
}

/// A classifier: logits from NCHW images in [0, 1].
pub struct Model {
    raw: *mut sys::fsc_model,
}
owned_handle!(Model, sys::fsc_model, sys::fsc_model_free);

impl Model {
    /// "smallcnn", "mlp", "preactresnet18" or "wrn-D-W" for C, H, W images.
    pub fn create(architecture: &str, input_shape: [i64; 3], classes: i32, seed: u64) -> Result<Self> {
        let architecture = c_string(architecture)?;
        let mut raw = ptr::null_mut();
        check(unsafe { sys::fsc_model_create(architecture.as_ptr(), input_shape.as_ptr(), classes, seed, &mut raw) })?;
        Ok(Model { raw })
    }

    pub fn load_checkpoint(path: &str) -> Result<Self> {
        let path = c_string(path)?;
        let mut raw = ptr::null_mut();
        check(unsafe { sys::fsc_model_load_checkpoint(path.as_ptr(), &mut raw) })?;
        Ok(Model { raw })
    }

    /// An ONNX classifier; `image_shape` overrides the graph's C, H, W.
    pub fn load_onnx(path: &str, image_shape: Option<[i64; 3]>) -> Result<Self> {
        let path = c_string(path)?;
        let mut raw = ptr::null_mut();
        check(unsafe {
            sys::fsc_model_load_onnx(path.as_ptr(), image_shape.as_ref().map_or(ptr::null(), |s| s.as_ptr()), &mut raw)
        })?;
        Ok(Model { raw })
    }

    pub fn from_onnx_bytes(bytes: &[u8], image_shape: Option<[i64; 3]>) -> Result<Self> {
        let mut raw = ptr::null_mut();
        check(unsafe {
            sys::fsc_model_from_onnx_bytes(bytes.as_ptr(), bytes.len(),
                                           image_shape.as_ref().map_or(ptr::null(), |s| s.as_ptr()), &mut raw)
        })?;
        Ok(Model { raw })
    }

    /// Exports ONNX (opset 13..17; 0 = 17).
    pub fn save_onnx(&self, path: &str, opset: i32) -> Result<()> {
        let path = c_string(path)?;
        check(unsafe { sys::fsc_model_save_onnx(self.raw, path.as_ptr(), opset) })
    }

    pub fn to_onnx_bytes(&self, opset: i32) -> Result<Vec<u8>> {
        let mut size = 0usize;
        let probe = unsafe { sys::fsc_model_to_onnx_bytes(self.raw, opset, ptr::null_mut(), 0, &mut size) };
        if probe != sys::FSC_ERR_SHAPE {
            check(probe)?;
        }
        let mut bytes = vec![0u8; size];
        check(unsafe { sys::fsc_model_to_onnx_bytes(self.raw, opset, bytes.as_mut_ptr(), bytes.len(), &mut size) })?;
        Ok(bytes)
    }

    pub fn save_checkpoint(&self, path: &str) -> Result<()> {
        let path = c_string(path)?;
        check(unsafe { sys::fsc_model_save_checkpoint(self.raw, path.as_ptr()) })
    }

    pub fn parameter_count(&self) -> Result<i64> {
        let mut count = 0;
        check(unsafe { sys::fsc_model_parameter_count(self.raw, &mut count) })?;
        Ok(count)
    }

    /// ([C, H, W], classes).
    pub fn info(&self) -> Result<([i64; 3], i32)> {
        let (mut shape, mut classes) = ([0i64; 3], 0);
        check(unsafe { sys::fsc_model_info(self.raw, shape.as_mut_ptr(), &mut classes) })?;
        Ok((shape, classes))
    }

    /// Logits (n·classes) in inference mode.
    pub fn forward(&mut self, images: &[f32], shape: [i64; 4]) -> Result<Vec<f32>> {
        images_for(images, &shape)?;
        let (_, classes) = self.info()?;
        let mut logits = vec![0f32; rows(&shape) * classes as usize];
        check(unsafe {
            sys::fsc_model_forward(self.raw, images.as_ptr(), shape.as_ptr(), 4, logits.as_mut_ptr(), logits.len())
        })?;
        Ok(logits)
    }

    /// The arg-max class of each image.
    pub fn predict(&mut self, images: &[f32], shape: [i64; 4]) -> Result<Vec<i32>> {
        images_for(images, &shape)?;
        let mut labels = vec![0i32; rows(&shape)];
        check(unsafe {
            sys::fsc_model_predict(self.raw, images.as_ptr(), shape.as_ptr(), 4, labels.as_mut_ptr(), labels.len())
        })?;
        Ok(labels)
    }

    /// Clean accuracy in percent.
    pub fn accuracy(&mut self, data: &Dataset) -> Result<f64> {
        let mut percent = 0.0;
        check(unsafe { sys::fsc_model_accuracy(self.raw, data.raw, &mut percent) })?;
        Ok(percent)
    }
}

c_config!(OtConfig, fsc_ot_config, fsc_ot_config_default, "`fsc_ot_config` (Default: the library's defaults, Sinkhorn reg 0.01, 100 iterations).");

fn empty_report() -> sys::fsc_ot_report {
    sys::fsc_ot_report { struct_size: std::mem::size_of::<sys::fsc_ot_report>(), ..Default::default() }
}

/// Solves OT for an n×m cost; `None` marginals are uniform. Returns the plan and the report.
pub fn ot_solve(cost: &[f32], n: i64, m: i64, a: Option<&[f32]>, b: Option<&[f32]>, config: &OtConfig)
    -> Result<(Vec<f32>, sys::fsc_ot_report)> {
    if n < 0 || m < 0 || cost.len() as i64 != n * m {
        return Err(Error::new(sys::FSC_ERR_SHAPE, format!("{} cost values for {n}x{m}", cost.len())));
    }
    let mut plan = vec![0f32; cost.len()];
    let mut report = empty_report();
    check(unsafe {
        sys::fsc_ot_solve(cost.as_ptr(), n, m, a.map_or(ptr::null(), <[f32]>::as_ptr), b.map_or(ptr::null(), <[f32]>::as_ptr),
                          &config.raw, plan.as_mut_ptr(), &mut report)
    })?;
    Ok((plan, report))
}

/// D = <T, C(X, Y)> between X (n×d) and Y (m×d), with its gradients (grad_x, grad_y).
pub fn ot_distance(x: &[f32], n: i64, y: &[f32], m: i64, d: i64, cost: sys::fsc_cost, mode: sys::fsc_grad_mode,
                   config: &OtConfig) -> Result<(f64, Vec<f32>, Vec<f32>)> {
    if n < 0 || m < 0 || d < 0 || x.len() as i64 != n * d || y.len() as i64 != m * d {
        return Err(Error::new(sys::FSC_ERR_SHAPE, format!("{} and {} feature values for n={n}, m={m}, d={d}", x.len(), y.len())));
    }
    let (mut distance, mut grad_x, mut grad_y) = (0.0, vec![0f32; x.len()], vec![0f32; y.len()]);
    check(unsafe {
        sys::fsc_ot_distance(x.as_ptr(), n, y.as_ptr(), m, d, cost, &config.raw, mode, &mut distance,
                             grad_x.as_mut_ptr(), grad_y.as_mut_ptr(), ptr::null_mut())
    })?;
    Ok((distance, grad_x, grad_y))
}

c_config!(AttackConfig, fsc_attack_config, fsc_attack_config_default, "`fsc_attack_config` (Default: PGD-20, L∞, ε = 0.1).");

/// Adversarial images (n·C·H·W) for a batch, with the model in inference mode.
pub fn attack(model: &mut Model, config: &AttackConfig, images: &[f32], shape: [i64; 4], labels: &[i32])
    -> Result<Vec<f32>> {
    images_for(images, &shape)?;
    let mut adversarial = vec![0f32; images.len()];
    check(unsafe {
        sys::fsc_attack_run(model.raw, &config.raw, images.as_ptr(), shape.as_ptr(), 4, labels.as_ptr(), labels.len(),
                            adversarial.as_mut_ptr(), adversarial.len())
    })?;
    Ok(adversarial)
}

/// `fsc_eval_config`'s settings with owned attack lists (Default: the library's).
#[derive(Clone, Debug)]
pub struct EvalConfig {
    pub norm: sys::fsc_norm,
    pub epsilon: f32,
    /// Comma-separated attack names, as `fscatter eval --attacks`.
    pub attacks: String,
    /// Attacks run afterwards on the images still robust; empty: none.
    pub worst_case: String,
    pub limit: i64,
    pub batch_size: i32,
    pub seed: u64,
}

impl Default for EvalConfig {
    fn default() -> Self {
        let mut raw: sys::fsc_eval_config = unsafe { std::mem::zeroed() };
        raw.struct_size = std::mem::size_of::<sys::fsc_eval_config>();
        unsafe { sys::fsc_eval_config_default(&mut raw) };
        EvalConfig {
            norm: raw.norm,
            epsilon: raw.epsilon,
            attacks: text(raw.attacks),
            worst_case: text(raw.worst_case),
            limit: raw.limit,
            batch_size: raw.batch_size,
            seed: raw.seed,
        }
    }
}

/// What [`evaluate`] returns: accuracies and the JSON report.
pub struct Report {
    raw: *mut sys::fsc_report,
}
owned_handle!(Report, sys::fsc_report, sys::fsc_report_free);

impl Report {
    /// "clean", "worst_case" or an attack name as given.
    pub fn accuracy(&self, name: &str) -> Result<f64> {
        let name = c_string(name)?;
        let mut percent = 0.0;
        check(unsafe { sys::fsc_report_accuracy(self.raw, name.as_ptr(), &mut percent) })?;
        Ok(percent)
    }

    pub fn json(&self) -> Result<String> {
        let mut length = 0usize;
        let probe = unsafe { sys::fsc_report_json(self.raw, ptr::null_mut(), 0, &mut length) };
        if probe != sys::FSC_ERR_SHAPE {
            check(probe)?;
        }
        let mut buffer = vec![0u8; length + 1];
        check(unsafe { sys::fsc_report_json(self.raw, buffer.as_mut_ptr().cast(), buffer.len(), &mut length) })?;
        buffer.truncate(length);
        String::from_utf8(buffer).map_err(|_| Error::new(sys::FSC_ERR_INTERNAL, "the report is not UTF-8"))
    }
}

/// Clean accuracy, each attack and the per-example worst case on a data set.
pub fn evaluate(model: &mut Model, data: &Dataset, config: &EvalConfig, ranks: Option<&Communicator>) -> Result<Report> {
    let attacks = c_string(&config.attacks)?;
    let worst_case = c_string(&config.worst_case)?;
    let raw_config = sys::fsc_eval_config {
        struct_size: std::mem::size_of::<sys::fsc_eval_config>(),
        norm: config.norm,
        epsilon: config.epsilon,
        attacks: attacks.as_ptr(),
        worst_case: if config.worst_case.is_empty() { ptr::null() } else { worst_case.as_ptr() },
        limit: config.limit,
        batch_size: config.batch_size,
        seed: config.seed,
        communicator: ranks.map_or(ptr::null(), |c| c.raw),
    };
    let mut raw = ptr::null_mut();
    check(unsafe { sys::fsc_evaluate(model.raw, data.raw, &raw_config, &mut raw) })?;
    Ok(Report { raw })
}

c_config!(TrainerConfig, fsc_trainer_config, fsc_trainer_config_default, "`fsc_trainer_config` (Default: feature scattering, ε 0.1, 10 epochs, batch 128).");

/// Called after every batch; return false to cancel (the run then fails with `FSC_ERR_CANCELLED`).
pub type Progress<'f> = &'f mut dyn FnMut(&sys::fsc_progress) -> bool;

/// A training run of one model; it borrows the model for its lifetime.
pub struct Trainer<'m> {
    raw: *mut sys::fsc_trainer,
    model: PhantomData<&'m mut Model>,
}

impl Drop for Trainer<'_> {
    fn drop(&mut self) {
        unsafe { sys::fsc_trainer_free(self.raw) }
    }
}

unsafe impl Send for Trainer<'_> {}

impl<'m> Trainer<'m> {
    pub fn new(model: &'m mut Model, config: &TrainerConfig) -> Result<Self> {
        let mut raw = ptr::null_mut();
        check(unsafe { sys::fsc_trainer_create(model.raw, &config.raw, &mut raw) })?;
        Ok(Trainer { raw, model: PhantomData })
    }

    /// One optimisation step on a batch; the batch's mean loss.
    pub fn step(&mut self, images: &[f32], shape: [i64; 4], labels: &[i32]) -> Result<f32> {
        images_for(images, &shape)?;
        let mut loss = 0f32;
        check(unsafe {
            sys::fsc_trainer_step(self.raw, images.as_ptr(), shape.as_ptr(), 4, labels.as_ptr(), labels.len(), &mut loss)
        })?;
        Ok(loss)
    }

    /// The configured epochs on `train`; with `test`, the clean test accuracy after the last one.
    pub fn train(&mut self, train: &Dataset, test: Option<&Dataset>, out_dir: Option<&str>, progress: Option<Progress<'_>>)
        -> Result<Option<f64>> {
        let out_dir = out_dir.map(c_string).transpose()?;
        let mut accuracy = 0.0;
        let mut callback = progress;
        let (function, user): (sys::fsc_progress_fn, *mut c_void) = match callback.as_mut() {
            Some(callback) => (Some(call_progress), callback as *mut Progress<'_> as *mut c_void),
            None => (None, ptr::null_mut()),
        };
        check(unsafe {
            sys::fsc_trainer_train(self.raw, train.raw, test.map_or(ptr::null(), |t| t.raw),
                                   out_dir.as_ref().map_or(ptr::null(), |d| d.as_ptr()), function, user, &mut accuracy)
        })?;
        Ok(test.map(|_| accuracy))
    }
}

/// The C trampoline of a progress callback; a panic cancels the run instead of unwinding into C.
unsafe extern "C" fn call_progress(progress: *const sys::fsc_progress, user: *mut c_void) -> c_int {
    let callback = &mut *(user as *mut Progress<'_>);
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| callback(&*progress))) {
        Ok(true) => 0,
        _ => 1,
    }
}
