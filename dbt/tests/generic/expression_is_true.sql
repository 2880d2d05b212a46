{# Every row satisfies a boolean SQL expression (a null result fails). #}
{% test expression_is_true(model, expression) %}

select *
from {{ model }}
where not coalesce({{ expression }}, false)

{% endtest %}
