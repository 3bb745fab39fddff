-- A review priority sits between urgent and normal: normal moves from rank 2 to rank 3.
UPDATE cases SET priority_rank = 3 WHERE priority = 'normal';
UPDATE outbox SET priority_rank = 3 WHERE priority_rank = 2;
