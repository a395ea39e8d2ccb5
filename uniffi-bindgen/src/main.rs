//! The bindgen binary, built from the same `uniffi` version as `cho-core` so
//! generated bindings always match the scaffolding compiled into the library.
fn main() {
    uniffi::uniffi_bindgen_main()
}
