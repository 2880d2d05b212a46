{# No value twice in the column, checked for the values on the rows the latest staging build wrote
   (every row after a full build): a key an incremental build replaced must not be left behind
   under its old row, and the build's own rows must be unique. One scan of the column, not a
   GROUP BY over the whole table at every build. #}
{% test unique_with_latest_batch(model, column_name) %}

with latest as (

    select {{ column_name }} as value
    from {{ model }}
    where batch_load_id = (select max(batch_load_id) from {{ model }})

)

select {{ column_name }} as unique_field, count(*) as n_records
from {{ model }}
where {{ column_name }} in (select value from latest)
group by {{ column_name }}
having count(*) > 1

{% endtest %}
