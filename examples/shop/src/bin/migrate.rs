//! The shop's migrate binary: the models and migrations linked in, handed to the CLI.

fn main() -> std::process::ExitCode {
    migrate_cli::main(shop::MIGRATIONS)
}
