//! `--skip` and `--limit` the same in every list command: up to 1000 in one request, more
//! (or `--limit 0`, every match) a page of 1000 at a time, printed as each page arrives, until
//! the limit or an empty page (so a server that caps its pages lower is still read through).

use std::future::Future;

use clap::Args;
use serde_json::Value;

use super::CliError;
use super::out::print_stdout;
use super::show::OutputArgs;
use geobox_api::ApiError;
use geobox_ops::transfer::PAGE_SIZE;
use geobox_ops::transfer::output::{self, Layout};

/// Which part of a list to print (`--skip`, `--limit`), shared by every list command.
#[derive(Debug, Clone, Copy, Args)]
#[command(next_help_heading = "Paging")]
pub struct PageArgs {
    /// How many to skip before the list starts.
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub skip: u64,
    /// How many to show at most; 0 for every match. Above 1000 (the most a server sends at
    /// once) they are read 1000 at a time.
    #[arg(long, value_name = "N", default_value_t = geobox_api::DEFAULT_LIMIT)]
    pub limit: u64,
}

impl PageArgs {
    /// Whether one request answers it (the server's cap is not passed).
    pub fn one_request(self) -> bool {
        self.limit != 0 && self.limit <= PAGE_SIZE
    }

    /// A query for this page, to which a command adds its filters.
    pub fn query(self) -> geobox_api::UserQuery {
        geobox_api::UserQuery::new()
            .skip(self.skip)
            .limit(self.limit)
    }

    /// Reads and prints this part of a list. `fetch(skip, limit)` asks for one page.
    pub async fn print<F, Fut>(
        self,
        output: &OutputArgs,
        layout: &Layout,
        mut fetch: F,
    ) -> Result<(), CliError>
    where
        F: FnMut(u64, u64) -> Fut,
        Fut: Future<Output = Result<Vec<Value>, ApiError>>,
    {
        if self.one_request() {
            let items = fetch(self.skip, self.limit).await?;
            return output.list(&items, layout);
        }
        let style = output.style();
        let mut skip = self.skip;
        let mut printed: u64 = 0;
        let mut pages = 0;
        loop {
            let want = match self.limit {
                0 => PAGE_SIZE,
                limit => (limit - printed).min(PAGE_SIZE),
            };
            if want == 0 {
                break;
            }
            let page = fetch(skip, want).await?;
            if page.is_empty() {
                break;
            }
            let text = output::render_page_styled(&page, layout, output.output, &style, pages == 0);
            print_stdout(&text)?;
            pages += 1;
            printed += page.len() as u64;
            skip += page.len() as u64;
        }
        if pages == 0 {
            return output.list(&[], layout);
        }
        print_stdout(&output::list_end(layout, output.output, pages))
    }
}
