//! New migration files must trigger a rebuild, since `sqlx::migrate!` embeds them.
//!
//! It also looks for the tools some tests call (the official Standard Webhooks libraries, the
//! OpenAPI validator, schemathesis, Chromium, strace) and sets one `has_…` cfg per tool found.
//! Tests that need a missing tool are `#[cfg_attr(not(has_…), ignore = "…")]`, so `cargo test`
//! lists them as `ignored` with the reason instead of passing without running;
//! `tests/it/tools.rs` fails under `CI=true` when any is missing. The probe runs again when
//! `PATH` changes or a watched install location does.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

const TOOLS: [&str; 6] = [
    "has_python_standardwebhooks",
    "has_node_standardwebhooks",
    "has_openapi_spec_validator",
    "has_schemathesis",
    "has_chromium",
    "has_strace",
];

fn main() {
    println!("cargo:rerun-if-changed=migrations");
    println!("cargo:rerun-if-changed=build.rs");
    for var in ["PATH", "PYTHONPATH", "NODE_PATH", "VIRTUAL_ENV"] {
        println!("cargo:rerun-if-env-changed={var}");
    }
    for tool in TOOLS {
        println!("cargo::rustc-check-cfg=cfg({tool})");
    }

    let manifest = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("set by cargo"));
    let node_dir = manifest.join("tests/receivers/node");
    watch(&node_dir.join("node_modules"));
    for dir in python_site_dirs() {
        for module in ["standardwebhooks", "openapi_spec_validator", "schemathesis"] {
            watch(&dir.join(module));
        }
    }
    let chromium = [
        Path::new("/usr/bin/chromium"),
        Path::new("/usr/bin/chromedriver"),
    ];
    for p in chromium {
        watch(p);
    }

    let found = [
        (
            "has_python_standardwebhooks",
            python_imports("standardwebhooks"),
        ),
        ("has_node_standardwebhooks", node_requires(&node_dir)),
        (
            "has_openapi_spec_validator",
            python_imports("openapi_spec_validator"),
        ),
        // The CLI on PATH, and `unshare`/`nsenter`, which give the hookd it tests a network
        // namespace of its own.
        (
            "has_schemathesis",
            succeeds(Command::new("schemathesis").arg("--version"))
                && succeeds(Command::new("unshare").arg("--version"))
                && succeeds(Command::new("nsenter").arg("--version")),
        ),
        ("has_chromium", chromium.iter().all(|p| p.exists())),
        ("has_strace", succeeds(Command::new("strace").arg("-V"))),
    ];
    for (cfg, present) in found {
        if present {
            println!("cargo:rustc-cfg={cfg}");
        }
    }
}

/// Watches `path` (cargo scans a directory recursively), or while it does not exist its parent,
/// where it will appear. Nothing further up: cargo would rerun the script on every build for a
/// missing path, and a far parent (a home directory) is too much to scan.
fn watch(path: &Path) {
    let target = if path.exists() {
        Some(path)
    } else {
        path.parent().filter(|p| p.exists())
    };
    if let Some(p) = target {
        println!("cargo:rerun-if-changed={}", p.display());
    }
}

fn succeeds(cmd: &mut Command) -> bool {
    cmd.stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

fn python_imports(module: &str) -> bool {
    succeeds(Command::new("python3").args(["-c", &format!("import {module}")]))
}

fn node_requires(dir: &Path) -> bool {
    succeeds(
        Command::new("node")
            .args(["-e", "require('standardwebhooks')"])
            .current_dir(dir),
    )
}

/// Where pip installs for this `python3`, so an install there re-runs the probe.
fn python_site_dirs() -> Vec<PathBuf> {
    let script =
        "import site\nfor d in site.getsitepackages() + [site.getusersitepackages()]: print(d)";
    Command::new("python3")
        .args(["-c", script])
        .stderr(Stdio::null())
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| {
            String::from_utf8_lossy(&o.stdout)
                .lines()
                .map(PathBuf::from)
                .collect()
        })
        .unwrap_or_default()
}
