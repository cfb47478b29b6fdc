//! Train SmallCNN on Fashion-MNIST with feature scattering from Rust, attack a batch with PGD-20,
//! evaluate under FGSM and PGD-20, and export ONNX, through the `featurescatter` crate.
//!
//! Run: `cargo run --release --example train_fashion -- [train_images] [epochs] [output_stem]`
//! in bindings/rust (defaults: 2000, 1, smallcnn).

use featurescatter::{attack, evaluate, AttackConfig, Dataset, EvalConfig, Model, Split, Trainer, TrainerConfig};

fn main() -> Result<(), featurescatter::Error> {
    let arguments: Vec<String> = std::env::args().collect();
    let limit: i64 = arguments.get(1).and_then(|a| a.parse().ok()).unwrap_or(2000);
    let epochs: i32 = arguments.get(2).and_then(|a| a.parse().ok()).unwrap_or(1);
    let stem = arguments.get(3).cloned().unwrap_or_else(|| "smallcnn".to_string());
    println!("FeatureScatter {}, OpenBLAS core {}", featurescatter::version(), featurescatter::blas_core());

    let train = Dataset::load("fashion-mnist", Split::Train, limit, None)?;
    let test = Dataset::load("fashion-mnist", Split::Test, limit.min(1000), None)?;
    let mut model = Model::create("smallcnn", [1, 28, 28], 10, 0)?;
    let mut config = TrainerConfig::default(); // feature scattering, eps 0.1
    config.raw.epochs = epochs;
    let mut show = |p: &featurescatter::sys::fsc_progress| {
        if p.batch == p.batches {
            println!("epoch {}/{}: loss {:.4}, train accuracy {:.1}%, {:.0} images/s", p.epoch, p.epochs, p.loss,
                     p.accuracy, p.images_per_second);
        }
        true // false would cancel
    };
    let accuracy = Trainer::new(&mut model, &config)?.train(&train, Some(&test), None, Some(&mut show))?;
    println!("clean test accuracy {:.2}%", accuracy.unwrap_or(0.0));

    let (images, labels) = test.copy(0, 100)?;
    let adversarial = attack(&mut model, &AttackConfig::default(), &images, [100, 1, 28, 28], &labels)?;
    let largest = adversarial.iter().zip(&images).map(|(a, b)| (a - b).abs()).fold(0f32, f32::max);
    let predicted = model.predict(&adversarial, [100, 1, 28, 28])?;
    let correct = predicted.iter().zip(&labels).filter(|(p, l)| p == l).count();
    println!("PGD-20 on 100 images: {correct}% correct, largest change {largest:.3}");

    let mut evaluation = EvalConfig::default();
    evaluation.attacks = "fgsm,pgd20".into();
    evaluation.limit = 500;
    let report = evaluate(&mut model, &test, &evaluation, None)?;
    println!("evaluation on 500 images: clean {:.1}%, FGSM {:.1}%, PGD-20 {:.1}%", report.accuracy("clean")?,
             report.accuracy("fgsm")?, report.accuracy("pgd20")?);

    model.save_checkpoint(&format!("{stem}.fsc"))?;
    model.save_onnx(&format!("{stem}.onnx"), 0)?;
    println!("wrote {stem}.fsc and {stem}.onnx");
    Ok(())
}
