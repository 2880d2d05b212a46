-- The instants a conversion forecast is made from: `as_of` itself (origin 'as_of', the live
-- forecast) and, for the backtest, the end of each of the `backtest_origins` months before the
-- as_of month that have at least `backtest_min_history_months` months of leads before them
-- (origin 'backtest'). An origin is its month and the share of that month still ahead of it: the
-- live one is inside its month, a backtest one at its month's end (share 0). Hazards are estimated
-- from complete months only: up to the origin month when it is over, else the month before.
-- origin_month identifies an origin: the backtest months all lie before the as_of month.

{{ config(schema='intermediate') }}

with

as_of as (

    select as_of, as_of_month from {{ ref('int_as_of') }}
    where as_of is not null

),

first_lead as (

    select min(lead_month) as first_lead_month from {{ ref('int_leads') }}

),

live as (

    select
        cast('as_of' as {{ dbt.type_string() }}) as origin,
        as_of_month as origin_month,
        as_of as origin_at,
        {{ seconds_between('as_of', dbt.dateadd('month', 1, 'as_of_month')) }}
            / {{ seconds_between('cast(as_of_month as ' ~ dbt.type_timestamp() ~ ')', dbt.dateadd('month', 1, 'as_of_month')) }}
            as remaining_share
    from as_of

),

months_back as (

    select cast(generated_number as integer) as months_back
    from ({{ dbt.generate_series(var('backtest_origins')) }}) as series

),

backtest as (

    select
        cast('backtest' as {{ dbt.type_string() }}) as origin,
        {{ add_months('as_of.as_of_month', '-months_back.months_back') }} as origin_month,
        cast({{ add_months('as_of.as_of_month', '1 - months_back.months_back') }} as {{ dbt.type_timestamp() }})
            as origin_at,
        cast(0 as {{ type_double() }}) as remaining_share
    from as_of
    cross join months_back
    cross join first_lead
    where {{ dbt.datediff('first_lead.first_lead_month', add_months('as_of.as_of_month', '-months_back.months_back'), 'month') }}
        >= {{ var('backtest_min_history_months') }} - 1

),

origins as (

    select * from live
    union all
    select * from backtest

),

final as (

    select
        origin,
        origin_month,
        origin_at,
        cast(remaining_share as {{ type_double() }}) as remaining_share,
        case
            when remaining_share > 0 then {{ add_months('origin_month', -1) }}
            else origin_month
        end as last_complete_month
    from origins

)

select * from final
