{# Conditions the data tests share (tests/generic). #}


{# A metric row's value follows from its numerator and denominator (docs/contract.md, "The ten
   metrics"): the count itself for counts (null denominator), null for a zero denominator, else
   numerator / denominator. A boolean over the row's columns; null counts as broken. #}
{% macro value_follows_ratio() -%}
    coalesce(
        (denominator is null and value = numerator)
        or (denominator = 0 and value is null)
        or (
            denominator > 0
            and abs(value - numerator / denominator) <= 1e-9 * (1 + abs(value))
        ),
        false
    )
{%- endmacro %}
