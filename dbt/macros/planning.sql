{# Helpers of the planning models (models/planning, docs/decisions.md). #}


{# The median of an expression, as an aggregate: engines spell it differently. #}
{% macro median_of(expression) -%}
    {{ return(adapter.dispatch('median_of')(expression)) }}
{%- endmacro %}

{% macro default__median_of(expression) -%}
    percentile_cont(0.5) within group (order by {{ expression }})
{%- endmacro %}

{% macro spark__median_of(expression) -%}
    percentile({{ expression }}, 0.5)
{%- endmacro %}


{# The first day of the month `months` months after a month's first day, as a DATE. #}
{% macro add_months(period_start, months) -%}
    cast({{ dbt.dateadd('month', months, period_start) }} as date)
{%- endmacro %}


{# Seconds of overlap of the intervals [start_a, end_a) and [start_b, end_b) (0 when disjoint). #}
{% macro overlap_seconds(start_a, end_a, start_b, end_b) -%}
    case
        when least({{ end_a }}, {{ end_b }}) > greatest({{ start_a }}, {{ start_b }})
        then {{ seconds_between('greatest(' ~ start_a ~ ', ' ~ start_b ~ ')', 'least(' ~ end_a ~ ', ' ~ end_b ~ ')') }}
        else 0
    end
{%- endmacro %}


{# A number as text for alert messages, rounded to `digits` decimals. #}
{% macro number_text(expression, digits=1) -%}
    cast(round(cast({{ expression }} as {{ type_double() }}), {{ digits }}) as {{ dbt.type_string() }})
{%- endmacro %}


{# The 80% interval of a forecast count of mean `expected` and variance `variance` (a sum of
   independent Bernoulli draws, approximated by a normal distribution): mean -+ 1.2816 sd, the low
   end floored at 0. #}
{% macro forecast_low(expected, variance) -%}
    cast(greatest({{ expected }} - 1.2816 * sqrt({{ variance }}), 0) as {{ type_double() }})
{%- endmacro %}

{% macro forecast_high(expected, variance) -%}
    cast({{ expected }} + 1.2816 * sqrt({{ variance }}) as {{ type_double() }})
{%- endmacro %}


{# A number as text rounded to a whole number (no trailing .0). #}
{% macro whole_text(expression) -%}
    cast(cast(round({{ expression }}) as {{ dbt.type_bigint() }}) as {{ dbt.type_string() }})
{%- endmacro %}


{# How metric_alerts tests each metric (docs/decisions.md): `test` rate (two-proportion z test
   against the pooled trailing months) or robust (median/MAD score against the trailing months),
   and the direction that is better (a turn the other way alerts). #}
{% macro alert_rules() -%}
    {{ return({
        'conversations': {'test': 'robust', 'better': 'up'},
        'prospect_calls': {'test': 'robust', 'better': 'up'},
        'prospecting_emails': {'test': 'robust', 'better': 'up'},
        'conversations_to_close': {'test': 'robust', 'better': 'down'},
        'days_to_customer': {'test': 'robust', 'better': 'down'},
        'prospect_conversion_rate': {'test': 'rate', 'better': 'up'},
        'offer_loss_rate': {'test': 'rate', 'better': 'down'},
        'never_engaged_rate': {'test': 'rate', 'better': 'down'},
        'repeat_purchase_90d_rate': {'test': 'rate', 'better': 'up'},
        'referral_6m_rate': {'test': 'rate', 'better': 'up'},
    }) }}
{%- endmacro %}
