//! The cho-core API from the languages the door apps use, through real FFI
//! (feature `foreign`): the bindings generated from the compiled cdylib,
//! python3, and a Kotlin program compiled against them and run on the JVM
//! with JNA. Shared by cho-core's `tests/foreign_bindings.rs` (every exported
//! call, against fixtures) and the `tests` crate's `foreign_door_life.rs`
//! (the device life cycle against a real server).
//!
//! Where the pieces come from, and why it works the same under
//! `cargo test -p <crate>` and `cargo test --workspace`:
//!
//! - The cdylib. `cargo test` compiles cho-core's lib target with all its
//!   crate types (lib, cdylib, staticlib) in one rustc call, also when
//!   cho-core is only a dependency of the package under test, into the
//!   `deps` directory the test executable runs from; it is not copied up to
//!   `target/debug/` (only `cargo build` does that). [`cdylib`] takes it from
//!   beside the running test executable: exactly the library the test was
//!   built with, under any profile or `--target`. Only when it is not there
//!   (another runner's layout) is it built with a nested
//!   `cargo build -p cho-core --lib`.
//! - The bindgen. `cargo test` never builds another package's binary, not
//!   even under `--workspace`, so `target/debug/uniffi-bindgen` may be
//!   missing or stale. A nested `cargo build -p uniffi-bindgen` would resolve
//!   other features than the test build and compile `uniffi_bindgen` and some
//!   40 crates a second time (3.5 minutes on a fresh CI target). Instead
//!   [`generate_bindings`] calls the function behind the binary's `generate`
//!   command, `uniffi::generate`, in process: this crate's `foreign` feature
//!   depends on uniffi with its `cli` feature, which uniffi-bindgen enables
//!   under `--workspace` anyway, so nothing is compiled twice.
//!
//! Tools: python3 for Python; java, JNA (`CHO_JNA_JAR`, default
//! `/usr/share/java/jna.jar`) and the Kotlin compiler and stdlib jars
//! (`CHO_KOTLIN_HOME`, default `/opt/kotlin-wheel`) for Kotlin. A missing
//! tool makes the test print a loud SKIPPED line on the terminal and pass
//! ([`skip`]), unless `CHO_REQUIRE_ALL_TESTS=1` (CI), when it fails.
//!
//! The compiled Kotlin is cached in a directory the caller names, by a hash
//! of its sources (the generated bindings included) and tools, so only a run
//! after a change pays for the compiler (about 20 s).

use std::env;
use std::ffi::OsString;
use std::fs;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Instant, UNIX_EPOCH};

/// Set to `1` (CI does) to turn a missing tool into a failure.
pub const REQUIRE_ALL: &str = "CHO_REQUIRE_ALL_TESTS";
/// A directory holding a Kotlin compiler jar and the Kotlin stdlib jar.
pub const KOTLIN_HOME_VAR: &str = "CHO_KOTLIN_HOME";
pub const KOTLIN_HOME_DEFAULT: &str = "/opt/kotlin-wheel";
pub const JNA_JAR_VAR: &str = "CHO_JNA_JAR";
pub const JNA_JAR_DEFAULT: &str = "/usr/share/java/jna.jar";
const KOTLIN_INSTALL: &str = "pip install --target /opt/kotlin-wheel --no-deps \
     kotlin-jupyter-kernel==0.19.0.944 (or set CHO_KOTLIN_HOME to a directory with \
     kotlin-compiler*.jar and kotlin-stdlib*.jar)";
const JNA_INSTALL: &str = "apt-get install -y libjna-java (or set CHO_JNA_JAR)";
const JAVA_INSTALL: &str = "apt-get install -y default-jdk-headless";
const PYTHON_INSTALL: &str = "apt-get install -y python3";

/// The workspace's `testkit/` directory: a nested cargo runs there.
const TESTKIT_DIR: &str = env!("CARGO_MANIFEST_DIR");

/// A tool a test needs and does not find: why, and how to install it.
#[derive(Debug)]
pub struct Missing {
    pub why: String,
    pub install: &'static str,
}

/// Prints on the terminal even when libtest captures the test's output.
pub fn note(message: &str) {
    let _ = writeln!(std::io::stderr(), "{message}");
}

/// Whether `CHO_REQUIRE_ALL_TESTS=1`.
pub fn required() -> bool {
    env::var(REQUIRE_ALL).is_ok_and(|v| v == "1")
}

/// A missing tool: a loud skip, or a failure under
/// `CHO_REQUIRE_ALL_TESTS=1`. `test` names the test (`file::function`).
pub fn skip(test: &str, missing: &Missing) {
    let Missing { why, install } = missing;
    if required() {
        panic!("{test}: {why}, and {REQUIRE_ALL}=1 forbids skipping. Install with: {install}");
    }
    note(&format!(
        "\n********************************************************************\n\
         SKIPPED: {test}: {why}\n\
         (install with: {install}; set {REQUIRE_ALL}=1 to make this a failure)\n\
         ********************************************************************"
    ));
}

/// Status, stdout and stderr of a finished program, for a failure message.
pub fn show(output: &Output) -> String {
    format!(
        "{}\n--- stdout ---\n{}\n--- stderr ---\n{}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

/// Whether `program args` runs and exits 0.
pub fn runs(program: &Path, args: &[&str]) -> bool {
    Command::new(program)
        .args(args)
        .output()
        .is_ok_and(|o| o.status.success())
}

/// Lowercase hex.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Removes `dir` with everything in it, if it exists, and creates it empty.
pub fn empty_dir(dir: &Path) {
    match fs::remove_dir_all(dir) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => panic!("cannot empty {}: {e}", dir.display()),
    }
    fs::create_dir_all(dir).unwrap_or_else(|e| panic!("cannot create {}: {e}", dir.display()));
}

fn cdylib_name() -> String {
    format!(
        "{}cho_core{}",
        env::consts::DLL_PREFIX,
        env::consts::DLL_SUFFIX
    )
}

/// The cho-core cdylib built with the running test (see the module
/// documentation).
pub fn cdylib() -> PathBuf {
    let name = cdylib_name();
    let exe = env::current_exe().expect("path of the test executable");
    if let Some(beside) = exe.parent().map(|dir| dir.join(&name))
        && beside.is_file()
    {
        return beside;
    }
    cargo_build(&["-p", "cho-core", "--lib"])
        .iter()
        .filter(|m| m["target"]["name"] == "cho_core" || m["target"]["name"] == "cho-core")
        .flat_map(|m| m["filenames"].as_array().cloned().unwrap_or_default())
        .filter_map(|f| f.as_str().map(PathBuf::from))
        .find(|f| f.file_name().is_some_and(|n| *n == *name))
        .unwrap_or_else(|| panic!("cargo build -p cho-core produced no {name}"))
}

/// Runs `cargo build` with JSON messages and returns its compiler-artifact
/// messages.
fn cargo_build(args: &[&str]) -> Vec<serde_json::Value> {
    let cargo = env::var_os("CARGO").unwrap_or_else(|| OsString::from("cargo"));
    let output = Command::new(&cargo)
        .arg("build")
        .arg("--message-format=json-render-diagnostics")
        .args(args)
        .current_dir(TESTKIT_DIR)
        .output()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", cargo.to_string_lossy()));
    assert!(
        output.status.success(),
        "cargo build {} failed:\n{}",
        args.join(" "),
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
        .filter(|m| m["reason"] == "compiler-artifact")
        .collect()
}

/// Where the generated Kotlin lands (package `nl.cho.core`, from
/// `mobile-core/uniffi.toml`), relative to the output directory.
pub const KOTLIN_FILE: &str = "nl/cho/core/cho_core.kt";
/// The generated Swift module (`ChoCore`, from `mobile-core/uniffi.toml`).
pub const SWIFT_FILE: &str = "ChoCore.swift";
pub const PYTHON_FILE: &str = "cho_core.py";

/// Generates the Kotlin, Swift and Python bindings of `library` into `out`
/// in library mode, as `mobile-core/generate-bindings.sh` does with the
/// `uniffi-bindgen` binary: this is the function behind its `generate`
/// command. It finds `mobile-core/uniffi.toml` through `cargo metadata`, run
/// in the current directory, which `cargo test` sets to the tested crate's
/// (any crate of the workspace will do).
pub fn generate_bindings(library: &Path, out: &Path) {
    uniffi::generate(uniffi::GenerateOptions {
        languages: vec![
            uniffi::TargetLanguage::Kotlin,
            uniffi::TargetLanguage::Swift,
            uniffi::TargetLanguage::Python,
        ],
        source: library
            .to_path_buf()
            .try_into()
            .expect("UTF-8 library path"),
        out_dir: out.to_path_buf().try_into().expect("UTF-8 output path"),
        config_override: None,
        format: false,
        crate_filter: None,
        metadata_no_deps: false,
    })
    .unwrap_or_else(|e| panic!("generating the bindings failed: {e:#}"));
    let kotlin = fs::read_to_string(out.join(KOTLIN_FILE))
        .expect("Kotlin bindings at nl/cho/core/cho_core.kt (package from uniffi.toml)");
    assert!(
        kotlin.lines().any(|l| l.trim() == "package nl.cho.core"),
        "generated Kotlin is not in package nl.cho.core"
    );
    for file in [
        PYTHON_FILE,
        SWIFT_FILE,
        "ChoCoreFFI.h",
        "ChoCoreFFI.modulemap",
    ] {
        assert!(out.join(file).is_file(), "bindgen did not write {file}");
    }
}

/// Generates the bindings into `dir` (emptied first) and copies the cdylib
/// beside `cho_core.py`, where both Python (`ctypes`, next to the module)
/// and JNA (`-Djna.library.path=<dir>`) find it. Returns `dir`.
pub fn bindings(dir: &Path) -> PathBuf {
    let started = Instant::now();
    empty_dir(dir);
    let library = cdylib();
    generate_bindings(&library, dir);
    let name = library.file_name().expect("library file name");
    fs::copy(&library, dir.join(name)).unwrap_or_else(|e| {
        panic!(
            "cannot copy {} into {}: {e}",
            library.display(),
            dir.display()
        )
    });
    note(&format!(
        "bindings generated in {:.1} s ({})",
        started.elapsed().as_secs_f64(),
        dir.display()
    ));
    dir.to_path_buf()
}

/// python3, or why not.
pub fn python() -> Result<PathBuf, Missing> {
    let python = PathBuf::from("python3");
    if runs(&python, &["--version"]) {
        Ok(python)
    } else {
        Err(Missing {
            why: "python3 not found".to_owned(),
            install: PYTHON_INSTALL,
        })
    }
}

/// The programs and jars a Kotlin program needs.
pub struct Kotlin {
    pub java: PathBuf,
    pub compiler: PathBuf,
    pub stdlib: PathBuf,
    pub jna: PathBuf,
}

impl Kotlin {
    /// Finds the tools, or says which one is missing and how to install it.
    pub fn find() -> Result<Self, Missing> {
        let java = env::var_os("JAVA_HOME")
            .map(|home| PathBuf::from(home).join("bin/java"))
            .filter(|java| java.is_file())
            .unwrap_or_else(|| PathBuf::from("java"));
        if !runs(&java, &["-version"]) {
            return Err(Missing {
                why: format!("{} not found", java.display()),
                install: JAVA_INSTALL,
            });
        }
        let jna =
            env::var_os(JNA_JAR_VAR).map_or_else(|| PathBuf::from(JNA_JAR_DEFAULT), PathBuf::from);
        if !jna.is_file() {
            return Err(Missing {
                why: format!("JNA jar {} not found", jna.display()),
                install: JNA_INSTALL,
            });
        }
        let home = env::var_os(KOTLIN_HOME_VAR)
            .map_or_else(|| PathBuf::from(KOTLIN_HOME_DEFAULT), PathBuf::from);
        let mut jars = Vec::new();
        collect_jars(&home, 4, &mut jars);
        jars.sort();
        let file_name = |p: &PathBuf| {
            p.file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default()
        };
        // A Kotlin distribution's kotlin-compiler.jar, or the self-contained
        // compiler inside the kotlin-jupyter-kernel wheel.
        let compiler = jars.iter().find(|p| {
            let n = file_name(p);
            (n.starts_with("kotlin-compiler") && !n.contains("embeddable"))
                || (n.starts_with("kotlin-jupyter-kernel-") && n.ends_with("-all.jar"))
        });
        let stdlib = jars.iter().find(|p| {
            let n = file_name(p);
            n == "kotlin-stdlib.jar"
                || (n.starts_with("kotlin-stdlib-")
                    && n.as_bytes().get(14).is_some_and(u8::is_ascii_digit)
                    && !n.contains("sources"))
        });
        match (compiler, stdlib) {
            (Some(compiler), Some(stdlib)) => Ok(Self {
                java,
                compiler: compiler.clone(),
                stdlib: stdlib.clone(),
                jna,
            }),
            _ => Err(Missing {
                why: format!(
                    "no Kotlin compiler and stdlib jars under {} (${KOTLIN_HOME_VAR})",
                    home.display()
                ),
                install: KOTLIN_INSTALL,
            }),
        }
    }

    /// Compiles the generated bindings in `bindings` with `sources` into a
    /// jar, or reuses the jar an earlier run compiled from the same inputs.
    /// `cache` holds one jar, the one for the current inputs (give each
    /// program its own); `work` receives a freshly compiled jar.
    pub fn compile(
        &self,
        bindings: &Path,
        sources: &[&Path],
        cache: &Path,
        work: &Path,
    ) -> PathBuf {
        let generated = bindings.join(KOTLIN_FILE);
        let mut hasher = ring::digest::Context::new(&ring::digest::SHA256);
        for source in std::iter::once(generated.as_path()).chain(sources.iter().copied()) {
            let bytes = fs::read(source)
                .unwrap_or_else(|e| panic!("cannot read {}: {e}", source.display()));
            hasher.update(source.file_name().unwrap_or_default().as_encoded_bytes());
            hasher.update(&(bytes.len() as u64).to_le_bytes());
            hasher.update(&bytes);
        }
        for tool in [&self.compiler, &self.stdlib, &self.jna] {
            let meta = fs::metadata(tool).unwrap_or_else(|e| panic!("{}: {e}", tool.display()));
            let modified = meta
                .modified()
                .ok()
                .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
                .map_or(0, |d| d.as_nanos());
            hasher.update(format!("{}|{}|{modified}\n", tool.display(), meta.len()).as_bytes());
        }
        let cached = cache.join(format!("{}.jar", hex(&hasher.finish().as_ref()[..12])));
        if cached.is_file() {
            note(&format!(
                "Kotlin sources unchanged, reusing {}",
                cached.display()
            ));
            return cached;
        }
        let started = Instant::now();
        fs::create_dir_all(work).unwrap_or_else(|e| panic!("{}: {e}", work.display()));
        let jar = work.join("kotlin-main.jar");
        let classpath = env::join_paths([&self.stdlib, &self.jna]).expect("class path");
        let output = Command::new(&self.java)
            // C1 only: the compiler runs once, and this halves its time.
            .arg("-XX:TieredStopAtLevel=1")
            .arg("-cp")
            .arg(&self.compiler)
            .arg("org.jetbrains.kotlin.cli.jvm.K2JVMCompiler")
            .args(["-no-stdlib", "-no-reflect", "-nowarn", "-cp"])
            .arg(&classpath)
            .arg("-d")
            .arg(&jar)
            .arg(&generated)
            .args(sources)
            .output()
            .expect("run the Kotlin compiler");
        assert!(
            output.status.success() && jar.is_file(),
            "compiling {sources:?} with the generated Kotlin bindings failed:\n{}",
            show(&output)
        );
        note(&format!(
            "Kotlin compiled in {:.1} s",
            started.elapsed().as_secs_f64()
        ));
        // Keep one cached jar: the one for the current sources.
        empty_dir(cache);
        fs::copy(&jar, &cached).unwrap_or_else(|e| panic!("{}: {e}", cached.display()));
        jar
    }

    /// `java` running `main_class` from `jar`, with JNA and the Kotlin
    /// stdlib on the class path and the cdylib looked up in `bindings`.
    pub fn command(&self, jar: &Path, bindings: &Path, main_class: &str) -> Command {
        let classpath = env::join_paths([jar, &self.jna, &self.stdlib]).expect("class path");
        let mut library_path = OsString::from("-Djna.library.path=");
        library_path.push(bindings);
        let mut c = Command::new(&self.java);
        c.arg(library_path)
            .arg("-cp")
            .arg(classpath)
            .arg(main_class);
        c
    }
}

fn collect_jars(dir: &Path, depth: u32, out: &mut Vec<PathBuf>) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            if depth > 0 {
                collect_jars(&path, depth - 1, out);
            }
        } else if path.extension().is_some_and(|e| e == "jar") {
            out.push(path);
        }
    }
}
