; Keys as fields, in the shared capture vocabulary:
;   @definition.field on the mapping pair, @name on the key (quoted keys keep their quotes).
; Only the top two levels of each document's mapping (a workflow's "jobs" and the job names):
; deeper keys and keys inside sequences would flood the workspace symbols of data files.

(document
  (block_node
    (block_mapping
      (block_mapping_pair
        key: (flow_node [(plain_scalar) (double_quote_scalar) (single_quote_scalar)] @name)) @definition.field)))

(document
  (block_node
    (block_mapping
      (block_mapping_pair
        value: (block_node
          (block_mapping
            (block_mapping_pair
              key: (flow_node [(plain_scalar) (double_quote_scalar) (single_quote_scalar)] @name)) @definition.field))))))
