--liquibase formatted sql

--changeset lifecycle:1
CREATE TABLE orders (id BIGINT PRIMARY KEY, item VARCHAR(200) NOT NULL);
