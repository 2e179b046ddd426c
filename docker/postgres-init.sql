-- One database per subgraph (MOSAIC_DATABASE_URL=.../mosaic_{subgraph}).
CREATE DATABASE mosaic_users;
CREATE DATABASE mosaic_tasks;
CREATE DATABASE mosaic_catalog;
CREATE DATABASE mosaic_bookings;
CREATE DATABASE mosaic_media;
CREATE DATABASE mosaic_search;
CREATE DATABASE mosaic_notifications;
