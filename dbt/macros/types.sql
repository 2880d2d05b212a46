{# A double-precision float on every engine. dbt.type_float() renders `float`, which is
   double precision on PostgreSQL but single precision (FLOAT4) on DuckDB. #}
{% macro type_double() -%}
    {{ return(adapter.dispatch('type_double')()) }}
{%- endmacro %}

{% macro default__type_double() -%}
    double precision
{%- endmacro %}

{% macro spark__type_double() -%}
    double
{%- endmacro %}


{# The closed vocabularies the models store, as lib/vocabulary.py holds them (tests/test_catalogue.py
   keeps the two equal): the loader rejects every other value of event_type, direction and purpose
   (docs/contract.md, "Input"), and contact_status is int_activities' own. `outcome` is not among
   them: an event type without outcomes of its own may carry any. #}
{% macro vocabulary(name) -%}
    {%- set vocabularies = {
        'event_type': ['lead_created', 'lead_qualified', 'call', 'email', 'meeting', 'offer_sent', 'offer_lost', 'purchase', 'referral'],
        'direction': ['outbound', 'inbound'],
        'purpose': ['sales', 'support'],
        'contact_status': ['prospect', 'customer'],
    } -%}
    {{ return(vocabularies[name]) }}
{%- endmacro %}


{# `expression` stored as a value of the vocabulary `name`: a DuckDB ENUM, a string elsewhere. DuckDB
   writes an ENUM column several times faster than text: at ten million events each such column of
   staging cost its write ~0.4 s, and int_activities' event_type and contact_status as much again.
   It reads as text (compared with and cast to strings) in every query. A value outside the
   vocabulary fails the build, naming it: the loader keeps such values out of the raw layer, so only
   rows written around the loader can hold one (on Spark, staging's rules test reports them). #}
{% macro as_vocabulary(expression, name) -%}
    {{ return(adapter.dispatch('as_vocabulary')(expression, name, vocabulary(name))) }}
{%- endmacro %}

{% macro default__as_vocabulary(expression, name, values) -%}
    {{ expression }}
{%- endmacro %}

{% macro duckdb__as_vocabulary(expression, name, values) -%}
    coalesce(
        try_cast({{ expression }} as enum('{{ values | join("', '") }}')),
        case when {{ expression }} is not null then error(
            '{{ this.identifier }}: {{ name }} ''' || {{ expression }} || ''' is not one of {{ values | join(', ') }}'
            || ' (docs/contract.md, "Input"). The loader rejects such rows: were these written around it?'
        ) end
    )
{%- endmacro %}
