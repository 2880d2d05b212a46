{# A metric row's value follows from its numerator and denominator (docs/contract.md ("The ten metrics")): the count
   itself for counts (null denominator), null for a zero denominator, else numerator / denominator. #}
{% test value_is_ratio(model) %}

select *
from {{ model }}
where not coalesce(
    (denominator is null and value = numerator)
    or (denominator = 0 and value is null)
    or (
        denominator > 0
        and abs(value - numerator / denominator) <= 1e-9 * (1 + abs(value))
    ),
    false
)

{% endtest %}
