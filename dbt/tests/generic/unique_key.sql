{# The model's key in one query: no combination of the columns on two rows (nulls equal, as in a
   GROUP BY, so the 'all' slice with its null dimension_value is checked too) and no key column null
   but those named `nullable`. One row per broken rule, naming it (`problem`), with the number of
   duplicated keys or of rows with the null (`failures`).
   of_latest_batch (one column, models with batch_load_id): the keys of the rows the latest staging
   build wrote (every row after a full build), each looked up in the whole table, so a key an
   incremental build replaced must not be left behind under its old row; one scan of the column,
   not a GROUP BY over the whole table at every build. On a full build (macro may_build_incrementally)
   the latest batch is every row: the plain GROUP BY, without the lookup (a third of the time). #}
{% test unique_key(model, columns, nullable=[], of_latest_batch=false) %}

{%- set key = columns | join(', ') %}
{%- set never_null = columns | reject('in', nullable) | list %}
{%- if of_latest_batch and columns | length != 1 %}
    {{ exceptions.raise_compiler_error('unique_key on ' ~ model ~ ': of_latest_batch takes one column') }}
{%- endif %}

with

{% if of_latest_batch and may_build_incrementally() -%}
checked as (

    select {{ key }}
    from {{ model }}
    where {{ latest_batch(model) }}

),

duplicated as (

    select {{ key }}
    from {{ model }}
    where {{ key }} in (select {{ key }} from checked)
    group by {{ key }}
    having count(*) > 1

),
{%- else -%}
checked as (

    select {{ key }}
    from {{ model }}

),

duplicated as (

    select {{ key }}
    from checked
    group by {{ key }}
    having count(*) > 1

),
{%- endif %}

duplicates as (

    select 'more than one row per ({{ key }})' as problem, count(*) as failures
    from duplicated
    having count(*) > 0

)
{%- if never_null %},

nulls as (

    select
        {%- for column in never_null %}
        sum(case when {{ column }} is null then 1 else 0 end) as null_{{ loop.index }}{{ ',' if not loop.last }}
        {%- endfor %}
    from checked

)
{%- endif %}

select problem, failures from duplicates
{%- for column in never_null %}
union all
select '{{ column }} is null' as problem, null_{{ loop.index }} as failures
from nulls
where null_{{ loop.index }} > 0
{%- endfor %}

{% endtest %}
