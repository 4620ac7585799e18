//! `geobox-users plans ...`

use clap::Subcommand;

use super::{CliError, ConnectionArgs, PageArgs, connect, print_stdout};
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
        #[arg(long, value_enum, default_value_t)]
        output: Format,
    },
}

pub async fn run(command: PlansCommand, connection: &ConnectionArgs) -> Result<(), CliError> {
    match command {
        PlansCommand::List {
            search,
            q,
            order_by,
            page,
            output: format,
        } => {
            let given = |text: Option<String>| text.filter(|text| !text.trim().is_empty());
            let query = PlanQuery {
                q: given(q),
                search: given(search),
                order_by: given(order_by),
                skip: page.skip,
                limit: page.limit,
                ..PlanQuery::default()
            };
            let client = connect(connection)?;
            let plans = client.list_plans_raw(&query).await?;
            print_stdout(&output::render_list(&plans, &output::PLANS, format))
        }
    }
}
