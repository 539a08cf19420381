// The translation unit that builds a precompiled header for the tests (cmake/Pch.cmake).
