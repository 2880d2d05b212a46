{# A model's key and row rules in one query instead of one test per column and rule (each test is a
   dbt node, about 0.1 s of dbt's own work, and three Dagster events per build): one row per broken
   rule, naming it (`problem`), with the number of rows that break it (`failures`; for the key, the
   number of duplicated keys). One scan of the model for the rules, every rule counted, so a row
   breaking two rules shows in both.
   key: [columns], no combination of them on two rows (nulls equal, as in a GROUP BY, so the 'all'
   slice with its null dimension_value is checked too), each never null but those in `nullable`;
   not_null: columns never null; accepted_values: {column: [values]}, a non-null value is one of
   them (as dbt's accepted_values: null passes); bounds: {column: [min, max]}, a non-null value lies
   in [min, max] (either may be null, as metric_mart_shape's); expressions: {name: boolean SQL},
   every row satisfies it (a null result fails).
   of_latest_batch (models with batch_load_id): the rules read the rows the latest staging build
   wrote, and the key's values of those rows (one column) are looked up in the whole table, so a key
   an incremental build replaced must not be left behind under its old row: the rows written before
   were tested by the build that wrote them. On a full build (macro may_build_incrementally) the
   latest batch is every row: the whole table, and the key a plain GROUP BY. #}
{% test row_rules(model, key=[], nullable=[], of_latest_batch=false, not_null=[], accepted_values={}, bounds={}, expressions={}) %}

{%- if of_latest_batch and key | length > 1 %}
    {{ exceptions.raise_compiler_error('row_rules on ' ~ model ~ ': of_latest_batch takes a key of one column') }}
{%- endif %}
{%- set scoped = of_latest_batch and may_build_incrementally() %}
{%- set rows = '(select * from ' ~ model ~ ' where ' ~ latest_batch(model) ~ ') as latest_rows' if scoped else model %}
{%- set key_columns = key | join(', ') %}

{%- set key_not_null = key | reject('in', nullable) | list %}
{%- set rules = [] %}
{%- for column in key_not_null + (not_null | reject('in', key_not_null) | list) %}
    {%- do rules.append((column ~ ' is null', column ~ ' is null')) %}
{%- endfor %}
{%- for column, values in accepted_values.items() %}
    {%- set listed = "'" ~ (values | join("', '")) ~ "'" %}
    {%- do rules.append((column ~ ' is not one of ' ~ (values | join(', ')), column ~ ' not in (' ~ listed ~ ')')) %}
{%- endfor %}
{%- for column, bound in bounds.items() %}
    {%- if bound[0] is not none %}
        {%- do rules.append((column ~ ' is below ' ~ bound[0], column ~ ' < ' ~ bound[0])) %}
    {%- endif %}
    {%- if bound[1] is not none %}
        {%- do rules.append((column ~ ' is above ' ~ bound[1], column ~ ' > ' ~ bound[1])) %}
    {%- endif %}
{%- endfor %}
{%- for name, expression in expressions.items() %}
    {%- do rules.append((name, 'not coalesce(' ~ expression ~ ', false)')) %}
{%- endfor %}
{%- if not rules and not key %}
    {{ exceptions.raise_compiler_error('row_rules on ' ~ model ~ ': no rule given') }}
{%- endif %}

with

{%- if key %}

duplicated as (

    select {{ key_columns }}
    from {{ model }}
    {%- if scoped %}
    where {{ key_columns }} in (select {{ key_columns }} from {{ rows }})
    {%- endif %}
    group by {{ key_columns }}
    having count(*) > 1

),

duplicates as (

    select 'more than one row per ({{ key_columns }})' as problem, count(*) as failures
    from duplicated
    having count(*) > 0

){{ ',' if rules }}
{%- endif %}

{%- if rules %}

counted as (

    select
        {%- for problem, broken in rules %}
        sum(case when {{ broken }} then 1 else 0 end) as rule_{{ loop.index }}{{ ',' if not loop.last }}
        {%- endfor %}
    from {{ rows }}

)
{%- endif %}

{% if key -%}
select problem, failures from duplicates
{%- if rules %}
union all
{% endif %}
{%- endif %}
{%- for problem, broken in rules -%}
select '{{ problem | replace("'", "''") }}' as problem, rule_{{ loop.index }} as failures
from counted
where rule_{{ loop.index }} > 0
{%- if not loop.last %}
union all
{% endif %}
{%- endfor %}

{% endtest %}
