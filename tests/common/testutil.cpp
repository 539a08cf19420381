#include "testutil.h"

#include <QCoreApplication>
#include <QDir>

namespace hs::test {

QString sourceDir()
{
    const QString env = qEnvironmentVariable("HS_SOURCE_DIR");
    return env.isEmpty() ? QDir::currentPath() : env;
}

QString appPath()
{
    return qEnvironmentVariable("HS_APP");
}

} // namespace hs::test
