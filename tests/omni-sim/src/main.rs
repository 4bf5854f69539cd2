fn main() {
    println!("omni-sim {}", omni_wasm::VERSION);
}
