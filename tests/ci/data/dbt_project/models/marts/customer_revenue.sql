{{ config(materialized='table') }}

with paid as (
    select {{ dbt_utils.star(ref('payments')) }}
    from {{ ref('payments') }}
    where status = 'paid'
)

select
    c.customer_id,
    sum(p.amount) as revenue
from {{ ref('customers') }} c
join paid p on p.customer_id = c.customer_id
group by c.customer_id
