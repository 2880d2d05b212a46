{# None of the columns is null: one query for a model's not-null rules instead of one test per
   column (each test is a dbt node and a Dagster check event per build); each failing row names the
   column. #}
{% test not_null_columns(model, columns) %}

{%- for column in columns %}
select '{{ column }} is null' as problem, count(*) as rows_with_null
from {{ model }}
where {{ column }} is null
having count(*) > 0
{%- if not loop.last %}

union all
{% endif %}
{%- endfor %}

{% endtest %}
