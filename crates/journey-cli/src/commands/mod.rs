pub mod bench;
pub mod check;
pub mod graph;
pub mod new;
pub mod playbook;
pub mod rule;
pub mod run;
pub mod test;
