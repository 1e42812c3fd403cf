-- Template: the end of a full pass, completed or not.
DROP TABLE IF EXISTS {seen};
