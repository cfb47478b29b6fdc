//! Finds libfeaturescatter.so: `$FEATURESCATTER_LIB_DIR`, else the `pkg-config` program
//! (`make install` writes featurescatter.pc). Binaries get an rpath to the folder found.

use std::env;
use std::process::Command;

fn main() {
    println!("cargo:rerun-if-env-changed=FEATURESCATTER_LIB_DIR");
    println!("cargo:rerun-if-env-changed=PKG_CONFIG_PATH");
    let folders = match env::var("FEATURESCATTER_LIB_DIR") {
        Ok(folder) if !folder.is_empty() => vec![folder],
        _ => pkg_config_folders().unwrap_or_else(|reason| {
            panic!(
                "libfeaturescatter.so not found: set FEATURESCATTER_LIB_DIR to the folder holding it \
                 (e.g. .build-lib/release after `make lib`) or install it with `make install` so that \
                 `pkg-config --libs featurescatter` works ({reason})"
            )
        }),
    };
    for folder in &folders {
        println!("cargo:rustc-link-search=native={folder}");
        println!("cargo:rustc-link-arg=-Wl,-rpath,{folder}");
    }
    println!("cargo:rustc-link-lib=dylib=featurescatter");
}

/// The `-L` folders `pkg-config --libs-only-L featurescatter` prints.
fn pkg_config_folders() -> Result<Vec<String>, String> {
    let output = Command::new("pkg-config")
        .args(["--libs-only-L", "featurescatter"])
        .output()
        .map_err(|error| format!("pkg-config could not run: {error}"))?;
    if !output.status.success() {
        return Err(String::from_utf8_lossy(&output.stderr).trim().to_string());
    }
    Ok(String::from_utf8_lossy(&output.stdout)
        .split_whitespace()
        .filter_map(|flag| flag.strip_prefix("-L").map(str::to_string))
        .collect())
}
