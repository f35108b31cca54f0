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
    let CheckSub::Routes(args) = sub;
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
        println!("Routing tree:");
        print!("{}", render_tree(&tree, &matched));
        println!();
    }
    let receivers: Vec<&str> = matched
        .iter()
        .map(|i| tree.node(*i).opts.receiver.as_str())
        .collect();
    println!("{}", receivers.join(","));
    ExitCode::SUCCESS
}

/// The tree, one node per line; matched leaves are marked with `*`.
fn render_tree(tree: &RouteTree, matched: &[usize]) -> String {
    let mut out = String::new();
    walk(tree, 0, "", true, matched, &mut out);
    out
}

fn walk(
    tree: &RouteTree,
    id: usize,
    prefix: &str,
    last: bool,
    matched: &[usize],
    out: &mut String,
) {
    let n = tree.node(id);
    let label = if id == 0 {
        "default-route".to_string()
    } else {
        let ms: Vec<String> = n.matchers.iter().map(ToString::to_string).collect();
        format!("{{{}}}", ms.join(","))
    };
    let branch = if last { "└── " } else { "├── " };
    let mark = if matched.contains(&id) { "  *" } else { "" };
    let cont = if n.continue_ { "  continue: true" } else { "" };
    out.push_str(&format!(
        "{prefix}{branch}{label}  receiver: {}{cont}{mark}\n",
        n.opts.receiver
    ));
    let child_prefix = format!("{prefix}{}", if last { "    " } else { "│   " });
    for (i, c) in n.children.iter().enumerate() {
        walk(
            tree,
            *c,
            &child_prefix,
            i + 1 == n.children.len(),
            matched,
            out,
        );
    }
}
