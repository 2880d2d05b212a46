{# The combination of columns is unique; unlike a unique test on a concatenation, nulls are equal
   (so the 'all' slice, whose dimension_value is null, is checked too). #}
{% test unique_combination(model, combination_of_columns) %}

select
    {{ combination_of_columns | join(', ') }},
    count(*) as occurrences
from {{ model }}
group by {{ combination_of_columns | join(', ') }}
having count(*) > 1

{% endtest %}
