-- Issue 18: the « À faire » count of procurement staff (actions submitted) and of pilots (actions
-- returned), which the first statement of each of their requests computes (`member_awaiting`),
-- read every review of the organisation's plans to find the few awaiting: an index of those few.
CREATE INDEX action_review_awaiting ON action_review (plan_id) WHERE state IN ('submitted', 'returned');
