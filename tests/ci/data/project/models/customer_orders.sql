{{ config(materialized='view') }}

select
    c.*,
    count(o.id) as order_count
from {{ ref('customers') }} c
left join {{ ref('orders') }} o on o.customer_id = c.id
{% if is_incremental() %}
where o.id > (select max(id) from {{ this }})
{% endif %}
group by c.id
