//! The Flowlab web app's entry point (built by Trunk).

fn main() {
    flowlab::start();
}
