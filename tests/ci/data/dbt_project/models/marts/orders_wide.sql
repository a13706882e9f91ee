select {{ all_columns('orders') }}
from {{ ref('orders') }}
