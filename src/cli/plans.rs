//! `geobox-users plans ...`

use clap::Subcommand;

use super::{CliError, ConnectionArgs, OutputArgs, PageArgs, connect};
use geobox_api::PlanQuery;
use geobox_ops::transfer::output::{self, Format};

#[derive(Debug, Subcommand)]
pub enum PlansCommand {
    /// List subscription plans.
    List {
        /// Keyword search.
        #[arg(long, value_name = "TERM")]
        search: Option<String>,
        /// An OGC CQL filter, e.g. "name LIKE '%pro%'".
        #[arg(long, value_name = "CQL")]
        q: Option<String>,
        /// Comma-separated `field A|D`.
        #[arg(long, value_name = "ORDER")]
        order_by: Option<String>,
        #[command(flatten)]
        page: PageArgs,
        #[command(flatten)]
        output: OutputArgs,
    },
}

impl PlansCommand {
    pub fn output_format(&self) -> Format {
        match self {
            PlansCommand::List { output, .. } => output.format(),
        }
    }
}

pub async fn run(command: PlansCommand, connection: &ConnectionArgs) -> Result<(), CliError> {
    match command {
        PlansCommand::List {
            search,
            q,
            order_by,
            page,
            output,
        } => {
            let given = |text: Option<String>| text.filter(|text| !text.trim().is_empty());
            let query = PlanQuery {
                q: given(q),
                search: given(search),
                order_by: given(order_by),
                ..PlanQuery::default()
            };
            let client = &connect(connection)?;
            page.print(&output, &output::PLANS, |skip, limit| {
                let page = PlanQuery {
                    skip,
                    limit,
                    ..query.clone()
                };
                async move { client.list_plans_raw(&page).await }
            })
            .await
        }
    }
}
