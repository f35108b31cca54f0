//! `outpost check routes --config FILE label=value ... [--tree]`: the
//! receivers an alert with those labels reaches, as
//! `amtool config routes test` prints them.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Subcommand};
use outpost_alertmanager::{LabelSet, RouteTree};
use outpost_config::{Files, load_alertmanager, parse_matchers};

/// Subcommands of `outpost check`.
#[derive(Debug, Subcommand)]
pub(crate) enum CheckSub {
    /// Print the receivers an alert with these labels reaches (`amtool config routes test`).
    Routes(RoutesArgs),
    /// Check rule files (`promtool check rules`).
    Rules(FilesArgs),
    /// Check prometheus.yml or alertmanager.yml files (`promtool check config`, `amtool check-config`).
    Config(FilesArgs),
}

#[derive(Debug, Args)]
pub(crate) struct FilesArgs {
    /// Files to check.
    #[arg(value_name = "FILE", required = true)]
    files: Vec<PathBuf>,
}

#[derive(Debug, Args)]
pub(crate) struct RoutesArgs {
    /// The alertmanager.yml to route with.
    #[arg(long, value_name = "FILE")]
    config: PathBuf,
    /// Print the routing tree too.
    #[arg(long)]
    tree: bool,
    /// Labels of the alert: `name=value` (or `{name="value", ...}`).
    #[arg(value_name = "LABEL")]
    labels: Vec<String>,
}

pub(crate) fn run(sub: &CheckSub) -> ExitCode {
    let args = match sub {
        CheckSub::Routes(args) => args,
        CheckSub::Rules(f) | CheckSub::Config(f) => return crate::check_cmd::run_paths(&f.files),
    };
    let (cfg, _) = match load_alertmanager(&Files::Disk, &args.config) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::FAILURE;
        }
    };
    let mut labels = LabelSet::new();
    for l in &args.labels {
        match parse_matchers(l) {
            Ok(ms) => {
                for m in ms {
                    labels.insert(m.name, m.value);
                }
            }
            Err(e) => {
                eprintln!("{e}");
                return ExitCode::FAILURE;
            }
        }
    }
    let tree = RouteTree::new(&cfg.route);
    let matched = tree.match_labels(&labels);
    if args.tree {
        println!("Matching routes:");
        println!("{}", matching_tree(&tree, &labels));
        println!();
    }
    let receivers: Vec<&str> = matched
        .iter()
        .map(|i| tree.node(*i).opts.receiver.as_str())
        .collect();
    println!("{}", receivers.join(","));
    ExitCode::SUCCESS
}

fn slug(tree: &RouteTree, id: usize, receiver: bool) -> String {
    let n = tree.node(id);
    let mut s = if n.matchers.is_empty() {
        "default-route".to_string()
    } else {
        let ms: Vec<String> = n.matchers.iter().map(ToString::to_string).collect();
        format!("{{{}}}", ms.join(","))
    };
    if receiver {
        s.push_str(&format!("  receiver: {}", n.opts.receiver));
    }
    s
}

/// amtool's matching tree: the path to each matched route, leaves with
/// their receiver, drawn as treeprint draws it.
fn matching_tree(tree: &RouteTree, labels: &LabelSet) -> String {
    let mut out = String::from(".\n");
    walk(tree, 0, labels, "", true, &mut out);
    out
}

fn node_matches(tree: &RouteTree, id: usize, labels: &LabelSet) -> bool {
    tree.node(id)
        .matchers
        .iter()
        .all(|m| m.matches(labels.get(&m.name).map(String::as_str).unwrap_or("")))
}

fn walk(
    tree: &RouteTree,
    id: usize,
    labels: &LabelSet,
    prefix: &str,
    last: bool,
    out: &mut String,
) {
    let mut children = Vec::new();
    for &c in &tree.node(id).children {
        if node_matches(tree, c, labels) {
            children.push(c);
            if !tree.node(c).continue_ {
                break;
            }
        }
    }
    let branch = if last { "└── " } else { "├── " };
    out.push_str(&format!(
        "{prefix}{branch}{}\n",
        slug(tree, id, children.is_empty())
    ));
    let child_prefix = format!("{prefix}{}", if last { "    " } else { "│   " });
    for (i, c) in children.iter().enumerate() {
        walk(
            tree,
            *c,
            labels,
            &child_prefix,
            i + 1 == children.len(),
            out,
        );
    }
}
