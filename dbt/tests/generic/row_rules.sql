{# A model's row rules in one query instead of one test per column and rule (each test is a dbt node
   and three Dagster events per build): one row per broken rule, naming it (`problem`), with the
   number of rows that break it (`failures`). One scan of the model, every rule counted, so a row
   breaking two rules shows in both.
   not_null: columns never null; accepted_values: {column: [values]}, a non-null value is one of
   them (as dbt's accepted_values: null passes); bounds: {column: [min, max]}, a non-null value lies
   in [min, max] (either may be null, as metric_mart_shape's); expressions: {name: boolean SQL},
   every row satisfies it (a null result fails). With `where: __latest_batch__`
   (macros/incremental.sql) the rules read the rows of the latest staging build. #}
{% test row_rules(model, not_null=[], accepted_values={}, bounds={}, expressions={}) %}

{%- set rules = [] %}
{%- for column in not_null %}
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
{%- if not rules %}
    {{ exceptions.raise_compiler_error('row_rules on ' ~ model ~ ': no rule given') }}
{%- endif %}

with

counted as (

    select
        {%- for problem, broken in rules %}
        sum(case when {{ broken }} then 1 else 0 end) as rule_{{ loop.index }}{{ ',' if not loop.last }}
        {%- endfor %}
    from {{ model }}

)

{% for problem, broken in rules -%}
select '{{ problem | replace("'", "''") }}' as problem, rule_{{ loop.index }} as failures
from counted
where rule_{{ loop.index }} > 0
{%- if not loop.last %}
union all
{% endif %}
{%- endfor %}

{% endtest %}
