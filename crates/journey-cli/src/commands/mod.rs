pub mod bench;
pub mod check;
pub mod graph;
pub mod import;
pub mod new;
pub mod rule;
pub mod run;
pub mod test;
