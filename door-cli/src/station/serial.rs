//! A reader on a serial line (or any path that yields its bytes: a FIFO in
//! the tests). The bytes go straight into the reader's own assembler, so
//! they are never queued anywhere else; only a complete MRZ (which wipes
//! itself) or a misread's reason crosses to the screen's thread.

use std::fs::File;
use std::io::Read;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::Sender;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use zeroize::Zeroize;

use super::input::{Assembled, LineAssembler};

/// Reads `path` until `stop`; reopens it after an end of file (a FIFO's
/// writer went away, a USB reader was plugged out) or an error.
pub fn read_lines(
    path: PathBuf,
    assembler: Arc<Mutex<LineAssembler>>,
    out: Sender<Assembled>,
    stop: Arc<AtomicBool>,
) {
    let mut buffer = [0u8; 256];
    while !stop.load(Ordering::Relaxed) {
        // Opening a FIFO waits for its writer; a serial line opens at once.
        if let Ok(mut file) = File::open(&path) {
            while let Ok(n) = file.read(&mut buffer) {
                if n == 0 || stop.load(Ordering::Relaxed) {
                    break;
                }
                let done = assembler
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .push_bytes(&buffer[..n], Instant::now());
                buffer.zeroize();
                for assembled in done {
                    if out.send(assembled).is_err() {
                        return;
                    }
                }
            }
        }
        buffer.zeroize();
        std::thread::sleep(Duration::from_millis(200));
    }
}
