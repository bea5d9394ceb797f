// Tests never read a developer's .env file or inherit their shell's service settings.
process.env.NODE_ENV = 'test';
