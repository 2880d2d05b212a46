{# The column is never greater than another column of the same row (rows with a null skip). #}
{% test at_most(model, column_name, other_column) %}

select {{ column_name }}, {{ other_column }}
from {{ model }}
where {{ column_name }} > {{ other_column }}

{% endtest %}
